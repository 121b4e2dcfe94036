/**
 * Debian packages and source packages the image builds need: checked with dpkg-query,
 * installed with apt-get when this process may (root on a Debian system), otherwise a
 * BuildError that names the exact command to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { BuildError } from './progress.js';

export function packageVersion(name: string): string | undefined {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status} ${Version}', name], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const m = /^install ok installed (\S+)/.exec(r.stdout);
  return m?.[1];
}

function canInstall(): boolean {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root && existsSync('/etc/debian_version') && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0;
}

function apt(args: readonly string[], log: (line: string) => void): boolean {
  log(`apt-get ${args.join(' ')}`);
  const r = spawnSync('apt-get', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.status !== 0) log(`${r.stdout}${r.stderr}`.split('\n').slice(-10).join('\n'));
  return r.status === 0;
}

/** Makes sure every package is installed; `why` says what they are for, in the error. */
export function ensurePackages(names: readonly string[], why: string, log: (line: string) => void): void {
  const missing = names.filter((n) => packageVersion(n) === undefined);
  if (missing.length === 0) return;
  if (!canInstall()) {
    throw new BuildError(`${why} needs these Debian packages: ${missing.join(' ')}. As root, run: apt-get install ${missing.join(' ')}`);
  }
  const args = ['install', '-y', '--no-install-recommends', ...missing];
  if (!apt(args, log)) {
    // A fresh machine may have no package lists yet.
    apt(['update'], log);
    if (!apt(args, log)) throw new BuildError(`apt-get could not install ${missing.join(' ')} (needed for ${why}); see the lines above`);
  }
  const still = missing.filter((n) => packageVersion(n) === undefined);
  if (still.length > 0) throw new BuildError(`apt-get finished, but these packages are still not installed: ${still.join(' ')}`);
}

const DEB_SRC_FILE = '/etc/apt/sources.list.d/ngkvm-deb-src.sources';

function hasDebSrc(pkg: string): boolean {
  const r = spawnSync('apt-get', ['source', '--print-uris', pkg], { encoding: 'utf8' });
  return r.status === 0 && /\.dsc'/.test(r.stdout);
}

/**
 * `apt-get source` needs deb-src entries, which Debian's default sources often lack. When
 * missing, one is added for the distribution this machine runs (same mirror and key as its
 * deb entries), in a file of its own that says who wrote it.
 */
export function ensureSourcePackages(pkg: string, log: (line: string) => void): void {
  if (hasDebSrc(pkg)) return;
  if (!canInstall()) {
    throw new BuildError(
      `the source package ${pkg} is not available: apt has no deb-src entries. As root, add "deb-src" to the Types of /etc/apt/sources.list.d/debian.sources (or a deb-src line to sources.list) and run apt-get update`,
    );
  }
  const codename = /^VERSION_CODENAME=(\S+)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
  if (codename === undefined) throw new BuildError('cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release) to add a deb-src entry for');
  const mirror = debMirror() ?? 'http://deb.debian.org/debian';
  log(`adding a deb-src entry for ${codename} (${DEB_SRC_FILE})`);
  writeFileSync(
    DEB_SRC_FILE,
    `# Added by ngkvm's image builder: Debian source packages (apt-get source busybox).\nTypes: deb-src\nURIs: ${mirror}\nSuites: ${codename} ${codename}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  );
  apt(['update'], log);
  if (!hasDebSrc(pkg)) throw new BuildError(`apt-get still finds no source package ${pkg} after adding ${DEB_SRC_FILE}`);
}

/** The mirror of this machine's own Debian entries (deb822 or one-line format). */
function debMirror(): string | undefined {
  const dir = '/etc/apt/sources.list.d';
  const texts: string[] = [];
  if (existsSync('/etc/apt/sources.list')) texts.push(readFileSync('/etc/apt/sources.list', 'utf8'));
  if (existsSync(dir)) for (const f of readdirSync(dir)) if (/\.(sources|list)$/.test(f)) texts.push(readFileSync(`${dir}/${f}`, 'utf8'));
  for (const t of texts) {
    const m = /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(t) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m.exec(t);
    if (m !== null) return m[1];
  }
  return undefined;
}

/** Downloads and unpacks a source package into `dir`; returns the unpacked tree and its version. */
export function fetchSource(pkg: string, dir: string, log: (line: string) => void): { tree: string; version: string } {
  log(`apt-get source ${pkg}`);
  const r = spawnSync('apt-get', ['source', pkg], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new BuildError(`apt-get source ${pkg} failed:\n${`${r.stdout}${r.stderr}`.split('\n').slice(-10).join('\n')}`);
  const entries = readdirSync(dir, { withFileTypes: true });
  const dsc = entries.find((e) => e.isFile() && e.name.startsWith(`${pkg}_`) && e.name.endsWith('.dsc'))?.name;
  const found = entries.find((e) => e.isDirectory() && e.name.startsWith(`${pkg}-`))?.name;
  if (dsc === undefined || found === undefined) throw new BuildError(`apt-get source ${pkg} left no unpacked tree in ${dir}`);
  return { tree: `${dir}/${found}`, version: dsc.slice(pkg.length + 1, -4) };
}
