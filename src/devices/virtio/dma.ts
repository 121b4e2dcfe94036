/**
 * How virtio devices reach guest memory: a small synchronous interface the VMM supplies.
 * In the VMM's process it is `vm.memory` (guestMemoryDma below, behind the host bridge's
 * translation on PCI); a device process gets one that sends blocking DMA messages over its
 * route. Only RAM is reachable: an address range that is not entirely guest RAM is a
 * DmaError, never an access to a device register or to host memory.
 */
import type { GuestMemory, GuestPhysAddr } from '../../api/memory.js';

export class DmaError extends Error {
  readonly code = 'ERR_DMA';
  constructor(
    readonly addr: number,
    readonly length: number,
    why: string,
  ) {
    super(`DMA to [0x${addr.toString(16)}, 0x${(addr + length).toString(16)}) refused: ${why}`);
    this.name = 'DmaError';
  }
}

export interface GuestDma {
  /** True when [addr, addr + length) is entirely guest RAM the device may use. */
  isRam(addr: number, length: number): boolean;
  /** Fills `dst` from guest memory at `addr`; throws DmaError outside RAM. */
  read(addr: number, dst: Uint8Array): void;
  /** Writes `src` to guest memory at `addr` (dirty-logged); throws DmaError outside RAM. */
  write(addr: number, src: Uint8Array): void;
}

/**
 * DMA straight into guest RAM, optionally through an address translation (a PCI host
 * bridge's inbound windows: bus address → CPU physical address, undefined when no window
 * covers the whole range).
 */
export function guestMemoryDma(memory: GuestMemory, translate?: (addr: number, length: number) => number | undefined): GuestDma {
  const resolve = (addr: number, length: number): number | undefined => {
    if (!Number.isSafeInteger(addr) || addr < 0 || !Number.isSafeInteger(length) || length < 0 || !Number.isSafeInteger(addr + length)) return undefined;
    const cpu = translate === undefined ? addr : translate(addr, length);
    if (cpu === undefined) return undefined;
    return length === 0 || memory.isMapped(cpu as GuestPhysAddr, length) ? cpu : undefined;
  };
  const checked = (addr: number, length: number): GuestPhysAddr => {
    const cpu = resolve(addr, length);
    if (cpu === undefined) throw new DmaError(addr, length, translate === undefined ? 'not guest RAM' : 'no inbound window maps it to guest RAM');
    return cpu as GuestPhysAddr;
  };
  return {
    isRam: (addr, length) => resolve(addr, length) !== undefined,
    read(addr, dst) {
      const cpu = checked(addr, dst.length);
      if (dst.length > 0) memory.read(cpu, dst);
    },
    write(addr, src) {
      const cpu = checked(addr, src.length);
      if (src.length === 0) return;
      try {
        memory.write(cpu, src);
      } catch (cause) {
        // Read-only memory (a ROM region): not somewhere a device may write.
        throw new DmaError(addr, src.length, cause instanceof Error ? cause.message : String(cause));
      }
    },
  };
}
