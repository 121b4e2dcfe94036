/**
 * Device routes (seed 001): guest-physical MMIO ranges and port ranges served by a device
 * model that is not the VMM's exit loop — another process over a socket, or an in-process
 * model — with the accelerator carrying the accesses and keeping them in order.
 *
 * The accelerator calls the endpoint on the thread that runs the vCPU: reads and non-posted
 * writes synchronously; posted writes are queued in the endpoint and sent by `flush`, which
 * the accelerator calls before every synchronous access to any endpoint, before an exit to
 * the VMM, before `getRegisters`, a memory-map change and `close` — so a device sees its
 * accesses in guest program order. Endpoints never throw for device trouble: a device that
 * is gone reads as all ones and drops writes (and says so once); only a `RouteInterrupted`
 * (a kick while waiting) leaves an access unfinished, to be completed on the next run.
 */

export type RouteSpace = 'mmio' | 'pio';

export interface RouteEndpoint {
  readonly name: string;
  /** Fills `data` (guest memory order, 1/2/4/8 bytes) with what the device returns. */
  read(range: number, offset: number, data: Uint8Array): void;
  /** A write the vCPU waits for: the device has done it when this returns. */
  write(range: number, offset: number, data: Uint8Array): void;
  /** A write that may be queued until the next `flush` (or the next synchronous access). */
  post(range: number, offset: number, data: Uint8Array): void;
  /** Sends every queued posted write. */
  flush(): void;
  /** Posted writes are waiting to be sent. */
  readonly hasQueued: boolean;
  /**
   * Machine reset: the device returns to its reset state (queued writes are sent first);
   * synchronous, not interrupted by kicks. Optional: an endpoint without it is left as is.
   */
  reset?(): void;
}

export interface RouteSpec {
  readonly space: RouteSpace;
  /** First guest-physical address (mmio) or port (pio), and the length in bytes/ports. */
  readonly base: number;
  readonly size: number;
  readonly endpoint: RouteEndpoint;
  /** Which of the endpoint's ranges this is (the `range` argument of its calls); default 0. */
  readonly range?: number;
  /** Guest writes are posted (do not wait for the device); default false. */
  readonly postedWrites?: boolean;
  readonly name?: string;
  /**
   * Hybrid registers (seed 001's partial acceleration): reads the page can answer are served
   * by the accelerator from it, without reaching the endpoint; the device keeps the page
   * current (e.g. a UART's line status, polled in a loop). See HybridPage.
   */
  readonly hybrid?: HybridPage;
}

/**
 * A register page shared between a device and the accelerator (memory both see: a
 * SharedArrayBuffer for a device thread). A guest read of `size` bytes at `offset` is
 * answered from `bytes` when `readable[offset + k]` is non-zero for every byte; any other
 * access goes to the endpoint. Queued posted writes to the endpoint are sent first, but the
 * read sees the device's state as last published, not as it will be once the device has
 * processed them: use it for registers a guest polls (status bits), not for registers
 * whose reads have side effects or must follow a write.
 */
export interface HybridPage {
  /** Register values at the route's offsets, in guest memory order. */
  readonly bytes: Uint8Array;
  /** Non-zero where `bytes` answers reads; as long as `bytes`. */
  readonly readable: Uint8Array;
}

/**
 * Thrown by an endpoint when the vCPU was kicked while it waited for a device: the access is
 * still outstanding (the endpoint remembers it), `run()` returns `interrupted`, and the same
 * access made again on the next run picks up the reply instead of asking twice.
 */
export class RouteInterrupted extends Error {
  readonly code = 'ERR_ROUTE_INTERRUPTED';
  constructor() {
    super('the vCPU was kicked while waiting for a routed device');
    this.name = 'RouteInterrupted';
  }
}
