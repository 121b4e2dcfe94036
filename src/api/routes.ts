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
