/**
 * A Linux kernel for the e500 cores is built for one family: `PPC_E500MC` kernels (e500mc,
 * e5500, e6500) or the others (e500v1, e500v2). Booted on the other family it stops before
 * printing anything, on QEMU as here, which looks like a broken VMM. The kernel's CPU table
 * (`struct cpu_spec`: PVR mask, PVR value, …) tells which family a kernel supports, so the
 * board can say so in one line instead.
 */
import type { PayloadSegment } from './payload.js';

/** Upper PVR halves of the e500 cores, as the kernel's CPU table matches them (mask 0xFFFF0000). */
const E500_PVRS: ReadonlyMap<number, string> = new Map([
  [0x8020, 'e500v1'],
  [0x8021, 'e500v2'],
  [0x8023, 'e500mc'],
  [0x8024, 'e5500'],
  [0x8040, 'e6500'],
]);

/**
 * The e500 cores whose entries the image's CPU table has (empty when it has none: not a
 * Linux kernel, or a kernel for other cores).
 */
export function linuxCpuTableCores(segments: readonly PayloadSegment[]): string[] {
  const found = new Set<string>();
  for (const seg of segments) {
    const d = seg.data;
    const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
    const start = (4 - (seg.paddr % 4)) % 4;
    for (let o = start; o + 8 <= d.length; o += 4) {
      if (view.getUint32(o) !== 0xffff0000) continue;
      const value = view.getUint32(o + 4);
      if ((value & 0xffff) !== 0) continue;
      const core = E500_PVRS.get(value >>> 16);
      if (core !== undefined) found.add(core);
    }
  }
  return [...found].sort();
}

/** A warning when the image is a Linux kernel without an entry for the CPU's PVR, else undefined. */
export function kernelFamilyWarning(name: string, segments: readonly PayloadSegment[], pvr: number): string | undefined {
  const cores = linuxCpuTableCores(segments);
  if (cores.length === 0) return undefined;
  const core = E500_PVRS.get(pvr >>> 16) ?? `PVR 0x${pvr.toString(16)}`;
  if (cores.includes(core)) return undefined;
  return `${name} is a Linux kernel for ${cores.join('/')} cores, not ${core} (a kernel is built for one e500 family); it will stop before its first message, as on QEMU`;
}
