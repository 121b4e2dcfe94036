/**
 * Notifier-based events (seed 001's ioeventfd/irqfd), shaped so that any accelerator can
 * provide them: the kvm accelerator with eventfds the kernel signals or listens to, a
 * software accelerator with counters in shared memory.
 *
 * A notifier is a counter: `signal()` adds one, `read()` takes the count and resets it. Its
 * `fd` (kvm: the eventfd) is a plain number, so another thread of the process can be given
 * it and use it with `openNotifier` of the same accelerator, e.g. a device thread waiting
 * on an ioEvent or raising an irqEvent.
 */

export interface EventNotifier {
  /** The accelerator's handle for it (kvm: an eventfd), or -1 when there is none. */
  readonly fd: number;
  /** Signals accumulated since the last read, then zero; never blocks. */
  read(): number;
  /**
   * Blocks the calling thread until signalled or `timeoutMs` passes (default: forever);
   * true when signalled (the count is left for `read`). Never call it on the event loop.
   */
  wait(timeoutMs?: number): boolean;
  /** Adds one, as the other side would (a VMM-side write to an ioEvent, raising an irqEvent). */
  signal(): void;
  close(): void;
}

export interface IoEventOptions {
  /** Guest-physical address (mmio) or port number (pio). */
  readonly addr: number;
  /** Access width to match: 1, 2, 4 or 8 bytes; 0 (mmio only, capability permitting) matches any width. */
  readonly size: 0 | 1 | 2 | 4 | 8;
  readonly space: 'pio' | 'mmio';
  /** Only writes of this value match (little-endian, `size` bytes); default: every write. */
  readonly datamatch?: bigint;
}

export interface IoEvent {
  readonly options: IoEventOptions;
  readonly notifier: EventNotifier;
  /** Removes the match and closes the notifier. */
  close(): void;
}

export interface IrqEventOptions {
  /** Global system interrupt number, as routed by `Vm.setGsiRouting`. */
  readonly gsi: number;
  /** Level-triggered, with a resample notifier (capability `irqfd-resample`). */
  readonly resample?: boolean;
}

export interface IrqEvent {
  readonly gsi: number;
  /** Signal to raise the interrupt (edge: one interrupt; level: assert until the guest's EOI). */
  readonly trigger: EventNotifier;
  /** Level-triggered only: signalled after the guest acknowledged the interrupt. */
  readonly resample: EventNotifier | null;
  /** Detaches from the GSI and closes the notifiers. */
  close(): void;
}

/** A message-signalled interrupt: the address/data pair a device writes (x86: to 0xfee00000 + APIC ID << 12). */
export interface MsiMessage {
  readonly address: bigint;
  readonly data: number;
}

/** One entry of the GSI routing table. */
export type GsiRoute =
  | { readonly gsi: number; readonly kind: 'msi'; readonly address: bigint; readonly data: number }
  /** An input pin of an in-accelerator interrupt controller (x86 full irqchip: 0 = PIC master, 1 = PIC slave, 2 = IOAPIC). */
  | { readonly gsi: number; readonly kind: 'irqchip'; readonly irqchip: number; readonly pin: number };

/**
 * What a software accelerator raises irqEvents and MSIs into: the board's interrupt
 * controller (ppce500: the MPIC, GSI n = MPIC source n), given with `Vm.setInterruptSink`.
 * Accelerators with an interrupt controller of their own (kvm) do not take one.
 */
export interface InterruptSink {
  /** Drives input `gsi`; an edge is `true` then `false`. */
  setIrq(gsi: number, level: boolean): void;
  /** One MSI write; false when nothing takes that address (or the guest blocked it). */
  msi(msi: MsiMessage): boolean;
  /** Tells `listener` each time the guest ends an interrupt of source `gsi` (EOI), for resampling. */
  onEoi(listener: (gsi: number) => void): void;
}
