/**
 * ioEvent, irqEvent, signalMsi and GSI routing for the software accelerator (seed 001's
 * ioeventfd/irqfd without a kernel): notifiers are counters in shared memory
 * (api/shared-notifier.ts) whose signal also rings the VM's doorbell word, and what they
 * raise goes to the board's interrupt controller given as the VM's InterruptSink.
 *
 * Everything here runs on the VM's thread: the vCPUs poll the doorbell between blocks of
 * instructions and when they wake from a halt, so an irqEvent signalled from a device
 * thread reaches the controller within one check interval, and wakes a halted vCPU at once.
 */
import { InvalidArgumentError, hex } from '../../api/errors.js';
import type { GsiRoute, InterruptSink, IoEvent, IoEventOptions, IrqEvent, IrqEventOptions, MsiMessage } from '../../api/events.js';
import { CONTROL_KICK, EVENTS_PENDING } from '../../api/threads.js';
import { SharedNotifier } from '../../api/shared-notifier.js';

/** Word of the VM's control block that a signalled irqEvent sets. */
export const CONTROL_EVENTS = 1;
/** GSIs are MPIC sources (and routes), below this. */
const MAX_GSI = 1024;

interface IrqEventState {
  readonly gsi: number;
  readonly trigger: SharedNotifier;
  readonly resample: SharedNotifier | null;
  asserted: boolean;
}

interface IoEventState {
  readonly options: IoEventOptions;
  readonly notifier: SharedNotifier;
}

export class E500Events {
  private sink: InterruptSink | null = null;
  private readonly irqEvents = new Set<IrqEventState>();
  private readonly ioEvents: IoEventState[] = [];
  private gsiRoutes = new Map<number, GsiRoute>();
  private readonly words: Int32Array;
  /** Sinks already told to report EOIs here (a sink keeps its listeners). */
  private readonly listening = new WeakSet<InterruptSink>();

  constructor(private readonly control: SharedArrayBuffer) {
    this.words = new Int32Array(control);
  }

  get hasIoEvents(): boolean {
    return this.ioEvents.length > 0;
  }

  setSink(sink: InterruptSink | null): void {
    this.sink = sink;
    if (sink !== null && !this.listening.has(sink)) {
      this.listening.add(sink);
      sink.onEoi((gsi) => {
        if (this.sink === sink) this.eoi(gsi);
      });
    }
  }

  ioEvent(options: IoEventOptions): IoEvent {
    const o = { ...options };
    if (o.space !== 'mmio') throw new InvalidArgumentError('the e500 accelerator has no port I/O space; ioEvent takes space "mmio"');
    if (o.size !== 0 && o.size !== 1 && o.size !== 2 && o.size !== 4 && o.size !== 8) throw new InvalidArgumentError(`ioEvent size ${String(o.size)} must be 0, 1, 2, 4 or 8`);
    if (o.datamatch !== undefined && o.size === 0) throw new InvalidArgumentError('ioEvent: a datamatch needs a size');
    const clash = this.ioEvents.find((e) => e.options.addr === o.addr && e.options.size === o.size && e.options.datamatch === o.datamatch);
    if (clash !== undefined) throw new InvalidArgumentError(`an ioEvent for ${hex(o.addr)} with the same size and datamatch exists`);
    const state: IoEventState = { options: o, notifier: SharedNotifier.create() };
    this.ioEvents.push(state);
    return {
      options: o,
      notifier: state.notifier,
      close: () => {
        const k = this.ioEvents.indexOf(state);
        if (k >= 0) this.ioEvents.splice(k, 1);
        state.notifier.close();
      },
    };
  }

  /**
   * A guest write the vCPU is about to exit for: true when an ioEvent takes it (signalled,
   * the write not otherwise done). `value` is the value as the guest stored it.
   */
  ioWrite(pa: number, size: number, value: number): boolean {
    for (const e of this.ioEvents) {
      const o = e.options;
      if (o.addr !== pa || (o.size !== 0 && o.size !== size)) continue;
      if (o.datamatch !== undefined && o.datamatch !== BigInt(value >>> 0)) continue;
      e.notifier.signal();
      return true;
    }
    return false;
  }

  irqEvent(options: IrqEventOptions): IrqEvent {
    const gsi = options.gsi;
    if (gsi >= MAX_GSI) throw new InvalidArgumentError(`GSI ${gsi} is beyond the e500 accelerator's ${MAX_GSI}`);
    const bell = { buffer: this.control, index: CONTROL_EVENTS, wakeIndex: CONTROL_KICK, wakeBit: EVENTS_PENDING };
    const state: IrqEventState = {
      gsi,
      trigger: SharedNotifier.create(bell),
      resample: options.resample === true ? SharedNotifier.create() : null,
      asserted: false,
    };
    this.irqEvents.add(state);
    return {
      gsi,
      trigger: state.trigger,
      resample: state.resample,
      close: () => {
        if (!this.irqEvents.delete(state)) return;
        if (state.asserted) this.sink?.setIrq(gsi, false);
        state.trigger.close();
        state.resample?.close();
      },
    };
  }

  signalMsi(msi: MsiMessage): boolean {
    return this.sink?.msi(msi) ?? false;
  }

  setGsiRouting(routes: readonly GsiRoute[]): void {
    const map = new Map<number, GsiRoute>();
    for (const r of routes) {
      if (r.gsi >= MAX_GSI) throw new InvalidArgumentError(`GSI ${r.gsi} is beyond the e500 accelerator's ${MAX_GSI}`);
      if (map.has(r.gsi)) throw new InvalidArgumentError(`GSI ${r.gsi} is routed twice`);
      if (r.kind === 'irqchip' && r.irqchip !== 0) throw new InvalidArgumentError(`irqchip ${r.irqchip}: the e500 board has one interrupt controller (0)`);
      map.set(r.gsi, { ...r });
    }
    this.gsiRoutes = map;
  }

  /** Takes signalled irqEvents to the sink; cheap when the doorbell is quiet. */
  poll(): void {
    // The wake bit first: a signal after this point sets it again, so no sleep misses it.
    if ((Atomics.load(this.words, CONTROL_KICK) & EVENTS_PENDING) !== 0) Atomics.and(this.words, CONTROL_KICK, ~EVENTS_PENDING);
    if (Atomics.load(this.words, CONTROL_EVENTS) === 0) return;
    Atomics.store(this.words, CONTROL_EVENTS, 0);
    for (const e of this.irqEvents) {
      if (e.trigger.read() === 0) continue;
      this.raise(e);
    }
  }

  private raise(e: IrqEventState): void {
    const route = this.gsiRoutes.get(e.gsi);
    const sink = this.sink;
    if (sink === null) return;
    if (route?.kind === 'msi') {
      sink.msi({ address: route.address, data: route.data });
      return;
    }
    const pin = route?.kind === 'irqchip' ? route.pin : e.gsi;
    if (e.resample !== null) {
      // Level: held until the guest's EOI, then dropped and the device asked to resample.
      e.asserted = true;
      sink.setIrq(pin, true);
    } else {
      sink.setIrq(pin, true);
      sink.setIrq(pin, false);
    }
  }

  private eoi(pin: number): void {
    for (const e of this.irqEvents) {
      if (!e.asserted || e.resample === null) continue;
      const route = this.gsiRoutes.get(e.gsi);
      if ((route?.kind === 'irqchip' ? route.pin : e.gsi) !== pin) continue;
      e.asserted = false;
      this.sink?.setIrq(pin, false);
      e.resample.signal();
    }
  }

  close(): void {
    for (const e of [...this.irqEvents]) {
      e.trigger.close();
      e.resample?.close();
    }
    this.irqEvents.clear();
    for (const e of this.ioEvents) e.notifier.close();
    this.ioEvents.length = 0;
  }
}
