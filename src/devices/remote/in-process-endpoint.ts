/**
 * A route endpoint whose device models run in the caller's thread: what tests use to check
 * the accelerators' routing and ordering without a second process, and what a VMM can use
 * for a device it wants reached through a route rather than its exit loop. Posted writes
 * really are queued until `flush`, so ordering bugs show here as they would over a socket.
 */
import type { RouteEndpoint } from '../../api/routes.js';
import { deviceAccess, type MmioDevice } from '../bus.js';

interface QueuedWrite {
  readonly range: number;
  readonly offset: number;
  readonly data: Uint8Array;
}

export class InProcessEndpoint implements RouteEndpoint {
  private queue: QueuedWrite[] = [];
  /** Every access the devices saw, in the order they saw them (for tests). */
  readonly trace: { readonly kind: 'read' | 'write' | 'posted'; readonly range: number; readonly offset: number; readonly size: number }[] = [];
  traceEnabled = false;

  constructor(
    readonly name: string,
    /** One device model per range index. */
    private readonly models: readonly MmioDevice[],
  ) {}

  get hasQueued(): boolean {
    return this.queue.length > 0;
  }

  private model(range: number): MmioDevice {
    const m = this.models[range];
    if (m === undefined) throw new RangeError(`${this.name} has no range ${range}`);
    return m;
  }

  read(range: number, offset: number, data: Uint8Array): void {
    this.flush();
    if (this.traceEnabled) this.trace.push({ kind: 'read', range, offset, size: data.length });
    deviceAccess(this.model(range), offset, false, data);
  }

  write(range: number, offset: number, data: Uint8Array): void {
    this.flush();
    if (this.traceEnabled) this.trace.push({ kind: 'write', range, offset, size: data.length });
    deviceAccess(this.model(range), offset, true, data);
  }

  post(range: number, offset: number, data: Uint8Array): void {
    this.queue.push({ range, offset, data: data.slice() });
  }

  reset(): void {
    this.flush();
    for (const m of this.models) (m as { reset?: () => void }).reset?.();
  }

  flush(): void {
    const q = this.queue;
    if (q.length === 0) return;
    this.queue = [];
    for (const w of q) {
      if (this.traceEnabled) this.trace.push({ kind: 'posted', range: w.range, offset: w.offset, size: w.data.length });
      deviceAccess(this.model(w.range), w.offset, true, w.data);
    }
  }
}
