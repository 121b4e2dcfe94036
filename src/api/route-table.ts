/**
 * The route table an accelerator consults for a guest access that is not RAM (routes.ts):
 * which endpoint serves it, and the ordering rule of seed 001 — posted writes are queued,
 * and every queue is flushed before any synchronous access (to any endpoint: a posted write
 * to device A followed by a read of device B must reach A first, or the guest could observe
 * B's effect before its own earlier write), before an exit to the VMM, before register
 * reads, map changes and close. One implementation for every accelerator.
 */
import { ArgumentTypeError, InvalidArgumentError, RegionOverlapError, hex } from './errors.js';
import type { MemoryRegion } from './memory.js';
import { RouteInterrupted, type HybridPage, type RouteEndpoint, type RouteSpace, type RouteSpec } from './routes.js';
import { checkArray, checkBoolean, checkChoice, checkInteger, checkObject, checkOptionalString } from './validate.js';

/** What the accelerators need of a route: spans sorted by base, per space. */
interface Span {
  readonly base: number;
  readonly end: number;
  readonly spec: RouteSpec;
  readonly range: number;
  readonly posted: boolean;
  readonly hybrid: HybridPage | null;
}

/** Times a non-interruptible flush asks an endpoint that keeps writes queued. */
const FLUSH_RETRIES = 3;
/** Ports are 16 bits (x86 in/out). */
const PIO_LIMIT = 0x10000;

/** Checks one RouteSpec's fields (types, ranges, the endpoint's shape); the front calls it. */
export function checkRouteSpec(what: string, spec: unknown): RouteSpec {
  const o = checkObject(what, spec);
  const space = checkChoice(`${what}.space`, o['space'], ['mmio', 'pio'] as const);
  checkInteger(`${what}.base`, o['base'], 0, space === 'pio' ? PIO_LIMIT - 1 : Number.MAX_SAFE_INTEGER);
  checkInteger(`${what}.size`, o['size'], 1, space === 'pio' ? PIO_LIMIT : Number.MAX_SAFE_INTEGER);
  if (o['range'] !== undefined) checkInteger(`${what}.range`, o['range'], 0, 0xffff);
  if (o['postedWrites'] !== undefined) checkBoolean(`${what}.postedWrites`, o['postedWrites']);
  checkOptionalString(`${what}.name`, o['name']);
  if (o['hybrid'] !== undefined) {
    const h = checkObject(`${what}.hybrid`, o['hybrid']);
    if (!(h['bytes'] instanceof Uint8Array) || !(h['readable'] instanceof Uint8Array)) {
      throw new ArgumentTypeError(`${what}.hybrid needs bytes and readable as Uint8Arrays`);
    }
    if (h['bytes'].length !== h['readable'].length) throw new InvalidArgumentError(`${what}.hybrid: bytes and readable differ in length`);
  }
  const ep = checkObject(`${what}.endpoint`, o['endpoint']);
  for (const m of ['read', 'write', 'post', 'flush'] as const) {
    if (typeof ep[m] !== 'function') throw new InvalidArgumentError(`${what}.endpoint has no ${m}() method; an endpoint implements RouteEndpoint`);
  }
  return spec as RouteSpec;
}

function hybridAnswers(h: HybridPage, offset: number, size: number): boolean {
  if (offset + size > h.bytes.length) return false;
  for (let k = 0; k < size; k++) if (h.readable[offset + k] === 0) return false;
  return true;
}

function describe(s: RouteSpec): string {
  return `${s.space} route ${s.name ?? s.endpoint.name} [${hex(s.base)}, ${hex(s.base + s.size)})`;
}

export class RouteTable {
  private mmio: Span[] = [];
  private pio: Span[] = [];
  private specs: readonly RouteSpec[] = [];
  /** Endpoints that may hold queued posted writes, in the order they were first posted to. */
  private readonly queued: RouteEndpoint[] = [];
  /** Accesses carried by routes (in-accelerator events for stats). */
  accesses = 0;
  /** Of those, reads a hybrid page answered without reaching the endpoint. */
  hybridReads = 0;

  get size(): number {
    return this.specs.length;
  }

  list(): readonly RouteSpec[] {
    return this.specs;
  }

  /**
   * Checks a complete table against itself and the memory map that will be in force with it
   * (a routed MMIO range must not also be RAM); throws the first problem, changing nothing.
   * `maxPhysBits` bounds MMIO addresses as for the memory map.
   */
  static validate(routes: readonly RouteSpec[], map: readonly MemoryRegion[], maxPhysBits: number): void {
    checkArray('setRoutes: the routes', routes).forEach((r, i) => checkRouteSpec(`setRoutes: route ${i}`, r));
    const limit = 2 ** maxPhysBits;
    for (const space of ['mmio', 'pio'] as const) {
      const rs = routes.filter((r) => r.space === space).sort((a, b) => a.base - b.base);
      for (let k = 0; k < rs.length; k++) {
        const r = rs[k]!;
        if (space === 'mmio' && r.base + r.size > limit) throw new InvalidArgumentError(`${describe(r)} is beyond the ${maxPhysBits}-bit guest-physical space`);
        if (space === 'pio' && r.base + r.size > PIO_LIMIT) throw new InvalidArgumentError(`${describe(r)} is beyond port 0xffff`);
        const next = rs[k + 1];
        if (next !== undefined && next.base < r.base + r.size) throw new RegionOverlapError(`${describe(r)} overlaps ${describe(next)}`);
        if (space === 'mmio') {
          const ram = map.find((m) => m.guestAddr < r.base + r.size && r.base < m.guestAddr + m.size);
          if (ram !== undefined) {
            throw new RegionOverlapError(`${describe(r)} overlaps memory region [${hex(ram.guestAddr)}, ${hex(ram.guestAddr + ram.size)}); a routed range is not memory`);
          }
        }
      }
    }
  }

  /** Installs a validated table; endpoints that leave it are flushed first. */
  replace(routes: readonly RouteSpec[]): void {
    this.flushAll(false);
    const spans = (space: RouteSpace): Span[] =>
      routes
        .filter((r) => r.space === space)
        .map((r) => ({ base: r.base, end: r.base + r.size, spec: r, range: r.range ?? 0, posted: r.postedWrites === true, hybrid: r.hybrid ?? null }))
        .sort((a, b) => a.base - b.base);
    this.mmio = spans('mmio');
    this.pio = spans('pio');
    this.specs = routes.map((r) => r);
  }

  private find(space: RouteSpace, addr: number, size: number): Span | undefined {
    const spans = space === 'mmio' ? this.mmio : this.pio;
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = spans[mid]!;
      if (addr < s.base) hi = mid - 1;
      else if (addr >= s.end) lo = mid + 1;
      // An access that runs past the route's end is not the device's: it exits as before.
      else return addr + size <= s.end ? s : undefined;
    }
    return undefined;
  }

  /** A quick test before `access` (no routes of that space: nothing to look up). */
  has(space: RouteSpace): boolean {
    return (space === 'mmio' ? this.mmio : this.pio).length > 0;
  }

  /**
   * Carries one guest access (data in guest memory order) if a route covers it; false when
   * none does (the accelerator exits as for any MMIO/PIO). Throws RouteInterrupted when the
   * vCPU was kicked while waiting: nothing of this access was done, except that queues that
   * did go out stay sent; the same call made again completes it.
   */
  access(space: RouteSpace, addr: number, isWrite: boolean, data: Uint8Array): boolean {
    const s = this.find(space, addr, data.length);
    if (s === undefined) return false;
    const ep = s.spec.endpoint;
    const offset = addr - s.base;
    if (isWrite && s.posted) {
      // Posted writes to one endpoint stay in order inside it; switching endpoints sends
      // the others' first, so posted writes reach the devices in guest order too.
      const q = this.queued;
      if (q.length > 0 && (q.length > 1 || q[0] !== ep)) {
        this.flushAll(true);
        if (q.length > 0) throw new RouteInterrupted();
      }
      ep.post(s.range, offset, data);
      if (q.length === 0) q.push(ep);
    } else {
      this.flushAll(true);
      if (this.queued.length > 0) throw new RouteInterrupted();
      const h = s.hybrid;
      if (!isWrite && h !== null && hybridAnswers(h, offset, data.length)) {
        data.set(h.bytes.subarray(offset, offset + data.length));
        this.hybridReads++;
        this.accesses++;
        return true;
      }
      if (isWrite) ep.write(s.range, offset, data);
      else ep.read(s.range, offset, data);
    }
    this.accesses++;
    return true;
  }

  get hasQueued(): boolean {
    return this.queued.length > 0;
  }

  /**
   * Sends every queued posted write, endpoint by endpoint in the order they were first
   * posted to. With `interruptible`, an endpoint a kick stopped keeps its rest queued (and
   * stays listed); otherwise it is asked a few more times (an endpoint stops early only
   * when the vCPU was kicked, and the kick stays set until the next run, so asking forever
   * could hang a VMM call on a stuck device), and what it still holds goes with its next access.
   */
  flushAll(interruptible = false): void {
    const q = this.queued;
    let tries = 0;
    while (q.length > 0) {
      const ep = q[0]!;
      ep.flush();
      if (ep.hasQueued) {
        if (interruptible || ++tries > FLUSH_RETRIES) return;
        continue;
      }
      q.shift();
    }
  }
}
