/**
 * A PCI function served by a device process (docs/device-routes.md, "PCI functions in a
 * device process"). Both halves are here, so their range numbering is written once:
 *
 * - `PciProxyFunction` (VMM side): a real PciFunction built from the same spec as the
 *   device's (IDs, class, BAR sizes, capabilities), attached to the VMM's PCI bus, which
 *   decodes its BARs as for any function. Accesses inside a BAR, and configuration reads, go
 *   over the route's endpoint; configuration writes are stored here (the bus needs the BARs
 *   and the command register) and sent to the device too, so both copies agree (the device's
 *   copy holds MSI-X Enable, INTx Disable, the PCI-cfg window).
 * - `pciFunctionModels` (device side): the route's ranges as device models over the
 *   unchanged device's PciFunction (its BAR targets and configuration space).
 *
 * Ranges: one per BAR in the spec's order, then configuration space (256 bytes); offsets are
 * relative to the BAR (its address is whatever the guest programmed) or the register.
 */
import type { RouteEndpoint } from '../../api/routes.js';
import type { MmioDevice, MmioTarget, MmioWindow } from '../bus.js';
import { PCI_CONFIG_SIZE, PciFunction, type PciFunctionSpec } from '../pci/pci-bus.js';
import type { RangeInfo } from './protocol.js';
import type { RemoteDeviceModel } from './device-session.js';

/** The ranges a route for this function carries (bases are 0: offsets are relative). */
export function pciFunctionRanges(spec: PciFunctionSpec): RangeInfo[] {
  return [...(spec.bars ?? []).map((b) => ({ space: 'mmio' as const, base: 0, size: b.size })), { space: 'mmio', base: 0, size: PCI_CONFIG_SIZE }];
}

export interface PciProxyOptions {
  /** Whether a write at `offset` of BAR `barIndex` may be posted (e.g. virtio notifications). */
  readonly posted?: (barIndex: number, offset: number) => boolean;
}

export class PciProxyFunction {
  readonly function: PciFunction;
  private readonly configRange: number;

  /**
   * `spec`'s BAR targets and configuration hooks are replaced by forwarders to `endpoint`
   * (whose calls must not throw RouteInterrupted: they run inside an exit).
   */
  constructor(
    spec: PciFunctionSpec,
    private readonly endpoint: RouteEndpoint,
    opts: PciProxyOptions = {},
  ) {
    const bars = (spec.bars ?? []).map((b, range) => ({ ...b, target: this.barWindow(`${spec.name}-bar${b.index}`, range, b.index, opts.posted) }));
    this.configRange = bars.length;
    this.function = new PciFunction({
      ...spec,
      bars,
      configHooks: {
        read: (offset, size) => this.configRead(offset, size),
        afterWrite: (offset, size, value) => this.configWritten(offset, size, value),
      },
    });
  }

  /** The device's INTx level (from its event channel). */
  setIntx(level: boolean): void {
    this.function.setIntx(level);
  }

  /** Machine reset: this copy to power-on state, the device over its route. */
  reset(): void {
    this.function.reset();
    this.endpoint.reset?.();
  }

  private barWindow(name: string, range: number, barIndex: number, posted: PciProxyOptions['posted']): MmioWindow {
    const endpoint = this.endpoint;
    return {
      name,
      kind: 'window',
      access(offset, isWrite, data) {
        if (!isWrite) return endpoint.read(range, offset, data);
        if (posted?.(barIndex, offset) === true) {
          // No round trip: the write goes out now, its reply is not waited for.
          endpoint.post(range, offset, data);
          endpoint.flush();
          return;
        }
        endpoint.write(range, offset, data);
      },
    };
  }

  private configRead(offset: number, size: number): number {
    const data = new Uint8Array(size);
    this.endpoint.read(this.configRange, offset, data);
    let v = 0;
    for (let k = size - 1; k >= 0; k--) v = v * 256 + data[k]!;
    return v;
  }

  private configWritten(offset: number, size: number, value: number): void {
    const n = Math.min(size, PCI_CONFIG_SIZE - offset);
    if (n <= 0) return;
    const data = new Uint8Array(n);
    for (let k = 0; k < n; k++) data[k] = (value >>> (8 * k)) & 0xff;
    // Posted: a later read (of anything) waits for it, and the device applies it in order.
    this.endpoint.post(this.configRange, offset, data);
    this.endpoint.flush();
  }
}

/**
 * The device-side models for a route carrying `fn` (ranges as pciFunctionRanges): its BAR
 * targets and its configuration space; `reset` (on the first model) resets the whole device.
 */
export function pciFunctionModels(fn: PciFunction, reset: () => void): RemoteDeviceModel[] {
  const bars = fn.bars.map((b, i): RemoteDeviceModel => {
    const target = asDevice(b.target);
    return i === 0 ? { ...target, name: target.name, endian: target.endian, read: (o, s) => target.read(o, s), write: (o, s, v) => target.write(o, s, v), reset } : target;
  });
  const config: RemoteDeviceModel = {
    name: `${fn.name}-config`,
    endian: 'little',
    maxAccessSize: 4,
    read: (offset, size) => fn.readConfig(offset, size),
    write: (offset, size, value) => fn.writeConfig(offset, size, value),
    ...(bars.length === 0 ? { reset } : {}),
  };
  return [...bars, config];
}

function asDevice(t: MmioTarget): MmioDevice {
  if ((t as Partial<MmioWindow>).kind === 'window') throw new Error(`${t.name}: a BAR served over a route must be a device model, not a window`);
  return t as MmioDevice;
}

const MAX_WINDOWS = 8;

/**
 * A PCI host bridge's inbound windows (bus address → CPU physical address) in shared memory,
 * so a thread that serves a device process's DMA translates bus addresses as the bridge
 * does: the machine thread publishes after every change, a reader takes a consistent copy
 * (a sequence counter, odd while a change is written).
 */
export class DmaWindowTable {
  readonly buffer: SharedArrayBuffer;
  private readonly seq: Int32Array;
  private readonly values: Float64Array;

  constructor(buffer?: SharedArrayBuffer) {
    this.buffer = buffer ?? new SharedArrayBuffer(8 + 8 * (1 + 3 * MAX_WINDOWS));
    this.seq = new Int32Array(this.buffer, 0, 2);
    this.values = new Float64Array(this.buffer, 8);
  }

  publish(windows: readonly { bus: number; size: number; cpu: number }[]): void {
    Atomics.add(this.seq, 0, 1);
    const n = Math.min(windows.length, MAX_WINDOWS);
    this.values[0] = n;
    windows.slice(0, n).forEach((w, i) => this.values.set([w.bus, w.size, w.cpu], 1 + 3 * i));
    Atomics.add(this.seq, 0, 1);
  }

  /** The CPU physical address of [addr, addr + length) if one window holds all of it. */
  translate(addr: number, length: number): number | undefined {
    for (;;) {
      const before = Atomics.load(this.seq, 0);
      if (before % 2 !== 0) continue;
      let out: number | undefined;
      const n = this.values[0]!;
      for (let i = 0; i < n && out === undefined; i++) {
        const [bus, size, cpu] = [this.values[1 + 3 * i]!, this.values[2 + 3 * i]!, this.values[3 + 3 * i]!];
        if (addr >= bus && addr + length <= bus + size) out = cpu + (addr - bus);
      }
      if (Atomics.load(this.seq, 0) === before) return out;
    }
  }
}
