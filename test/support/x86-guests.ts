/**
 * Running the x86 test guests (guests/x86/tests) on QEMU's microvm and on ngkvm's x86-microvm
 * board with the same inputs: shared by the differential suite (x86-microvm.test.ts) and the
 * QEMU-only virtio test (x86-virtio.test.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUESTS } from './paths.js';
import { ngkvm, runProcess, type Outcome } from './processes.js';
import { freePort } from './ports.js';

export const X86 = join(GUESTS, 'x86');
export const X86_BUILD = join(X86, 'build');
export const X86_RAM = '128M';

/**
 * Optional per-guest inputs: tests/<name>.append (command line), tests/<name>.initrd,
 * tests/<name>.input (bytes typed on the serial console, for guests that wait for a key) and
 * tests/<name>.devices (QEMU-spelled -drive/-netdev/-device options, one per line, that both
 * `qemu-system-x86_64 -M microvm` and `ngkvm run --machine x86-microvm` accept; `#` starts a
 * comment; @IMAGE@ is a fresh copy of the test disk image (testImage) and @PORT@ a free TCP
 * port on 127.0.0.1, both made anew for every run).
 */
export interface GuestArgs {
  append?: string;
  initrd?: string;
  input?: Buffer;
  devices?: readonly string[];
}

export function guestArgs(name: string): GuestArgs {
  const path = (ext: string): string => join(X86, 'tests', `${name}.${ext}`);
  const devices = existsSync(path('devices'))
    ? readFileSync(path('devices'), 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter((l) => l !== '')
    : undefined;
  return {
    ...(existsSync(path('append')) ? { append: readFileSync(path('append'), 'utf8') } : {}),
    ...(existsSync(path('initrd')) ? { initrd: path('initrd') } : {}),
    ...(existsSync(path('input')) ? { input: readFileSync(path('input')) } : {}),
    ...(devices !== undefined ? { devices } : {}),
  };
}

/** Sectors of the test disk image. */
export const TEST_IMAGE_SECTORS = 8;

/** The test disk image: byte o is (o·7 + ⌊o/512⌋·13 + 1) mod 256 (guests/x86/tests/virtio_blk.c). */
export function testImage(): Buffer {
  const b = Buffer.alloc(TEST_IMAGE_SECTORS * 512);
  for (let o = 0; o < b.length; o++) b[o] = (o * 7 + (o >> 9) * 13 + 1) & 0xff;
  return b;
}

/** FNV-1a, 32 bits (the checksum the guests print). */
export function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h;
}


/** The device options of one run, with their files; dispose() removes them. */
export interface RunDevices {
  readonly args: readonly string[];
  /** The disk image of this run (when the options name @IMAGE@). */
  readonly image?: string;
  dispose(): void;
}

export async function runDevices(a: GuestArgs): Promise<RunDevices> {
  const lines = a.devices ?? [];
  if (lines.length === 0) return { args: [], dispose: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-x86-devices-'));
  let image: string | undefined;
  if (lines.some((l) => l.includes('@IMAGE@'))) {
    image = join(dir, 'disk.img');
    writeFileSync(image, testImage());
  }
  const port = lines.some((l) => l.includes('@PORT@')) ? await freePort() : 0;
  const args: string[] = [];
  for (const l of lines) {
    const m = /^(-{1,2}[a-z-]+)\s+(\S+)$/.exec(l);
    if (m === null) throw new Error(`a .devices line must be "-option value": ${l}`);
    args.push(m[1]!, m[2]!.replaceAll('@IMAGE@', image ?? '').replaceAll('@PORT@', String(port)));
  }
  return { args, ...(image !== undefined ? { image } : {}), dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * QEMU 7.2's virtio-mmio transports are legacy (version 1) unless told otherwise; ngkvm's are
 * modern only, so the oracle runs modern transports too (no effect on guests without virtio).
 */
const QEMU_MODERN_VIRTIO_MMIO = ['-global', 'virtio-mmio.force-legacy=false'];

/**
 * QEMU's machine for a run: ngkvm's x86-microvm is QEMU 7.2's microvm without ACPI, which is
 * what matters once virtio devices are attached (8 transports on IOAPIC pins 5 + n, announced
 * as virtio_mmio.device= on the kernel command line, which QEMU adds only without ACPI).
 * `acpi` forces QEMU's default (ACPI on: 24 transports, the second IOAPIC, no command line).
 */
function qemuMachine(devices: readonly string[], acpi: boolean): string {
  return devices.length > 0 && !acpi ? 'microvm,acpi=off' : 'microvm';
}

export function qemuX86(elf: string, a: GuestArgs, devices: readonly string[] = [], opts: { acpi?: boolean } = {}): Promise<Outcome> {
  return runProcess(
    'qemu-system-x86_64',
    [
      '-M', qemuMachine(devices, opts.acpi === true), '-m', X86_RAM, '-kernel', elf,
      '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04',
      '-serial', 'stdio', '-display', 'none', '-monitor', 'none', '-net', 'none', '-no-reboot',
      ...QEMU_MODERN_VIRTIO_MMIO,
      ...(a.append !== undefined ? ['-append', a.append] : []),
      ...(a.initrd !== undefined ? ['-initrd', a.initrd] : []),
      ...devices,
    ],
    { timeoutMs: 60_000, stdoutToFile: true, ...(a.input !== undefined ? { input: a.input } : {}) },
  );
}

export function ngkvmX86(elf: string, a: GuestArgs, devices: readonly string[] = []): Promise<Outcome> {
  return ngkvm(
    [
      'run', '--accel', 'kvm', '--machine', 'x86-microvm', '-m', X86_RAM, '--kernel', elf, '--serial', 'stdio', '--no-reboot',
      ...(a.append !== undefined ? ['--append', a.append] : []),
      ...(a.initrd !== undefined ? ['--initrd', a.initrd] : []),
      ...devices,
    ],
    { timeoutMs: 60_000, ...(a.input !== undefined ? { input: a.input } : {}) },
  );
}
