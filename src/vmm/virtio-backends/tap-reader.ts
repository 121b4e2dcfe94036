/**
 * A worker that reads frames from a tap descriptor into a FrameRing: Node has no event-loop
 * handle for a tun/tap character device, so this thread polls it (the shim's poll, 100 ms at
 * a time so it notices the stop request) and reads one frame per read(2). It posts a
 * message after frames arrived, which the main thread turns into a wake-up of the machine.
 */
import { readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadShim } from '../../sys/native.js';
import { FrameRing, type FrameRingDescriptor } from '../frame-ring.js';

export interface TapReaderData {
  readonly fd: number;
  readonly ring: FrameRingDescriptor;
  /** Word 0 becomes nonzero when the reader must stop. */
  readonly stop: SharedArrayBuffer;
}

const MAX_FRAME = 65536 + 64;

function run(data: TapReaderData): void {
  const shim = loadShim();
  const ring = new FrameRing(data.ring);
  const stop = new Int32Array(data.stop);
  const buf = new Uint8Array(MAX_FRAME);
  while (Atomics.load(stop, 0) === 0) {
    const ready = shim.pollIn(data.fd, 100);
    if (ready < 0) {
      parentPort?.postMessage({ type: 'error', message: `poll on the tap descriptor failed (${ready})` });
      return;
    }
    if (ready === 0) continue;
    let n: number;
    try {
      n = readSync(data.fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EINTR') continue;
      parentPort?.postMessage({ type: 'error', message: `reading the tap interface failed: ${code ?? String(e)}` });
      return;
    }
    const frame = buf.slice(0, n);
    while (!ring.tryWrite(frame)) {
      if (Atomics.load(stop, 0) !== 0) return;
      ring.waitForRoomSync(100);
    }
    parentPort?.postMessage({ type: 'frames' });
  }
}

run(workerData as TapReaderData);
