/**
 * cli: argv vectors into `ngkvm run`'s and `ngkvm linux`'s option handling (parseOptions,
 * buildRunConfig, linuxRunArgs). Mistakes are UsageErrors; a configuration that comes out is
 * one the machine can be built from (sizes, counts and ports in range, -S with a way to
 * continue). Inputs are the arguments separated by NUL bytes.
 */
import { buildRunConfig, loadTargetCatalog, RUN_OPTIONS } from '../../../src/tools/cli.js';
import { linuxRunArgs } from '../../../src/tools/linux-command.js';
import { parseSize, UsageError } from '../../../src/tools/options.js';
import type { Prng } from '../../support/prng.js';
import { mutateBytes } from '../mutate.js';
import { allowing, expect, text, type FuzzTarget } from '../target.js';

/** CPU models per accelerator, as the CLI asks the API for them once at start. */
const CATALOG = await loadTargetCatalog();

const SEEDS = [
  ['--machine', 'ppce500', '--cpu', 'e500mc', '-m', '256M', '--bios', 'u-boot.elf', '--serial', 'stdio'],
  ['-M', 'ppce500', '-m', '256', '--kernel', 'vmlinux', '--initrd', 'initrd.cpio', '--append', 'console=ttyS0', '--smp', '4', '--no-reboot'],
  ['--serial', 'tcp::4555,nowait', '--serial', 'file:/tmp/out', '--monitor', 'unix:/tmp/m.sock,wait', '-s', '-S', '--bios', 'x.elf'],
  ['--accel', 'kvm', '--machine', 'x86-microvm', '-m', '1G', '--kernel', 'bzImage', '--serial', 'null', '--gdb', 'tcp:127.0.0.1:1234'],
  ['--cpu', 'help'],
  ['--help'],
  ['-m', '9999999999999G', '--smp', 'cpus=33', '--bios'],
  ['--gdb', 'tcp:[::1]:0', '--monitor', 'stdio', '-S', '--kernel', 'k', '--memory=64M', '--serial=none'],
];
const TOKENS = ['--machine', '-M', 'ppce500', 'x86-microvm', '--accel', 'e500', 'kvm', '--cpu', 'e500v2', 'e500mc', 'host', 'help', '-m', '--memory', '64M', '1G', '0', '-1', '1e3',
  '18446744073709551616K', '--smp', 'cpus=2', '--bios', '--kernel', '--initrd', '--append', '--serial', 'stdio', 'null', 'none', 'file:', 'tcp:', ':0', ',nowait', ',server', '--monitor', 'unix:',
  ',wait', '--gdb', 'tcp::1234', '-s', '-S', '--no-reboot', '--help', '-h', '=', '--', '-', ''];

export const cliTarget: FuzzTarget = {
  name: 'cli',
  description: 'ngkvm run/linux argument vectors: option parser and run configuration',
  seeds: () => SEEDS.map((a) => text.encode(a.join('\0'))),
  generate(rng: Prng): Uint8Array {
    const n = rng.below(12);
    return text.encode(Array.from({ length: n }, () => (rng.chance(0.8) ? rng.pick(TOKENS) : rng.pick(TOKENS) + rng.pick(TOKENS))).join('\0'));
  },
  mutate(input: Uint8Array, rng: Prng, corpus: readonly Uint8Array[]): Uint8Array {
    if (rng.chance(0.3)) return mutateBytes(input, rng, corpus, 2);
    const args = text.decode(input).split('\0');
    const i = rng.below(args.length + 1);
    switch (rng.below(4)) {
      case 0:
        args.splice(i, 0, rng.pick(TOKENS));
        break;
      case 1:
        args.splice(i, 1);
        break;
      case 2:
        args[i] = (args[i] ?? '') + rng.pick(TOKENS);
        break;
      default:
        args.splice(i, 0, ...text.decode(rng.pick(corpus)).split('\0').slice(0, 4));
    }
    return text.encode(args.join('\0'));
  },
  run(input) {
    const argv = input.length === 0 ? [] : text.decode(input).split('\0');
    allowing([UsageError], () => {
      const c = buildRunConfig(argv, CATALOG);
      if (typeof c === 'string' || 'cpuHelp' in c) return;
      expect(Number.isSafeInteger(c.memory) && c.memory > 0, () => `memory ${c.memory} from ${JSON.stringify(argv)}`);
      expect(Number.isInteger(c.cpus) && c.cpus >= 1 && c.cpus <= 32, () => `${c.cpus} CPUs`);
      expect(c.serials.filter((s) => s.kind !== 'none').length <= (c.machine === 'ppce500' ? 2 : 1), () => 'too many serial ports');
      for (const s of c.serials) if (s.kind === 'tcp') expect(s.port >= 0 && s.port <= 65535, () => `serial port ${s.port}`);
      if (c.gdb !== undefined) expect(c.gdb.port >= 0 && c.gdb.port <= 65535, () => `gdb port ${c.gdb?.port}`);
      if (c.startHalted === true) expect(c.gdb !== undefined || c.monitor.kind !== 'none', () => '-S without a way to continue');
      expect(c.kernel !== undefined || c.bios !== undefined, () => 'nothing to run');
    });
    allowing([UsageError], () => {
      const out = linuxRunArgs(argv, RUN_OPTIONS, { kernels: { e500v2: { vmlinux: 'v2', uImage: 'u2' }, e500mc: { vmlinux: 'mc', uImage: 'umc' } }, initramfs: 'i', rootfs: 'r' }, CATALOG);
      expect(Array.isArray(out), () => 'linux args');
    });
    for (const a of argv) {
      allowing([UsageError], () => {
        const n = parseSize(a, '-m');
        expect(Number.isSafeInteger(n) && n > 0, () => `parseSize("${a}") = ${n}`);
      });
    }
  },
};
