/**
 * Coalesced MMIO (KVM_REGISTER_COALESCED_MMIO; seed 001): guest writes into a registered
 * zone do not exit; they are appended to a ring that the zone's owner, the VMM, drains. The
 * guest sees its write done at once, the device model sees it later, in order.
 *
 * The ordering contract is the one of KVM's ring: the VMM drains the ring before it handles
 * any exit (an access to the same device that did exit — a read, or a write when the ring was
 * full — then comes after the writes the guest made before it), and before it touches the
 * devices itself. Reads inside a zone always exit. A zone that overlaps a device route does
 * not coalesce there: the route (with posted writes, its own form of coalescing) carries it.
 *
 * This is the software accelerator's ring; kvm uses the kernel's, read from the vCPU's
 * mapped page, with the same API (`Vm.drainCoalescedMmio`).
 */
import { InvalidArgumentError, RegionOverlapError, hex } from './errors.js';
import { checkChoice, checkInteger, checkObject } from './validate.js';

export interface CoalescedZone {
  readonly space: 'mmio' | 'pio';
  /** Guest-physical address or port of the first byte, and the length in bytes. */
  readonly addr: number;
  readonly size: number;
}

/** One write taken from the ring; `data` in guest memory order (1, 2, 4 or 8 bytes). */
export interface CoalescedWrite {
  readonly space: 'mmio' | 'pio';
  readonly addr: number;
  readonly data: Uint8Array;
}

/** As many entries as KVM's ring page holds on a 4 KiB page ((4096 - 8) / 24). */
export const COALESCED_RING_ENTRIES = 170;
/** Zones a VM can have (KVM keeps the same bound, KVM_COALESCED_MMIO_ZONE_MAX). */
export const COALESCED_ZONES_MAX = 100;

export function checkCoalescedZone(what: string, zone: unknown): CoalescedZone {
  const o = checkObject(what, zone);
  const space = checkChoice(`${what}.space`, o['space'], ['mmio', 'pio'] as const);
  const limit = space === 'pio' ? 0x10000 : Number.MAX_SAFE_INTEGER;
  checkInteger(`${what}.addr`, o['addr'], 0, limit - 1);
  checkInteger(`${what}.size`, o['size'], 1, 0xffffffff);
  if ((o['addr'] as number) + (o['size'] as number) > limit) throw new InvalidArgumentError(`${what} runs past the last port`);
  return zone as CoalescedZone;
}

/** The zones and the ring of the software accelerator. */
export class CoalescedMmio {
  private zones: CoalescedZone[] = [];
  private readonly ring: CoalescedWrite[] = [];
  /** Writes absorbed (an in-accelerator event for stats). */
  absorbed = 0;

  register(zone: CoalescedZone): void {
    const same = this.zones.find((z) => z.space === zone.space && z.addr === zone.addr && z.size === zone.size);
    if (same !== undefined) return;
    const over = this.zones.find((z) => z.space === zone.space && z.addr < zone.addr + zone.size && zone.addr < z.addr + z.size);
    if (over !== undefined) throw new RegionOverlapError(`coalesced ${zone.space} zone [${hex(zone.addr)}, ${hex(zone.addr + zone.size)}) overlaps [${hex(over.addr)}, ${hex(over.addr + over.size)})`);
    if (this.zones.length >= COALESCED_ZONES_MAX) throw new InvalidArgumentError(`at most ${COALESCED_ZONES_MAX} coalesced zones`);
    this.zones.push({ space: zone.space, addr: zone.addr, size: zone.size });
  }

  /** Removes the zone registered with exactly these bounds; its writes already queued stay. */
  unregister(zone: CoalescedZone): void {
    const k = this.zones.findIndex((z) => z.space === zone.space && z.addr === zone.addr && z.size === zone.size);
    if (k < 0) throw new InvalidArgumentError(`no coalesced ${zone.space} zone [${hex(zone.addr)}, ${hex(zone.addr + zone.size)}) is registered`);
    this.zones.splice(k, 1);
  }

  get active(): boolean {
    return this.zones.length > 0;
  }

  get pending(): number {
    return this.ring.length;
  }

  /** Queues a guest write when a zone covers it and the ring has room; false: it exits. */
  absorb(space: 'mmio' | 'pio', addr: number, data: Uint8Array): boolean {
    if (this.zones.length === 0 || this.ring.length >= COALESCED_RING_ENTRIES) return false;
    for (const z of this.zones) {
      if (z.space === space && addr >= z.addr && addr + data.length <= z.addr + z.size) {
        this.ring.push({ space, addr, data: data.slice() });
        this.absorbed++;
        return true;
      }
    }
    return false;
  }

  /** Hands every queued write to `visit`, oldest first; returns how many. */
  drain(visit: (w: CoalescedWrite) => void): number {
    let n = 0;
    // One at a time, so a visitor that throws leaves the rest queued, in order.
    while (this.ring.length > 0) {
      const w = this.ring.shift()!;
      n++;
      visit(w);
    }
    return n;
  }
}
