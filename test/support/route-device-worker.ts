/**
 * A device process in a worker thread (for tests): serves a ScratchDevice on the route
 * socket `workerData.path`, reports its access log when asked, and can be told to raise
 * its interrupt line or be slow.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectDevice } from '../../src/vmm/remote/device-process.js';
import { ScratchDevice } from './route-scratch-device.js';

const { path, slowMs, slowStarted } = workerData as { path: string; slowMs?: number; slowStarted?: SharedArrayBuffer };
const dev = new ScratchDevice('scratch');
dev.slowMs = slowMs ?? 0;
if (slowStarted !== undefined) {
  // Another thread can wait for the slow read to be under way (Atomics.wait on word 0).
  const w = new Int32Array(slowStarted);
  dev.onSlowRead = () => {
    Atomics.store(w, 0, 1);
    Atomics.notify(w, 0);
  };
}
const conn = await connectDevice({ path, name: 'scratch-worker', models: [dev] });
dev.onIrq = (level) => conn.host.setIrq(0, level);
conn.host.onResample = (line) => parentPort!.postMessage({ type: 'resample', line });
parentPort!.on('message', (m: { type: string; addr?: number; length?: number }) => {
  if (m.type === 'log') parentPort!.postMessage({ type: 'log', log: dev.log.slice() });
  if (m.type === 'dma-read') {
    conn.host.dmaRead(m.addr!, m.length!).then(
      (data) => parentPort!.postMessage({ type: 'dma', data }),
      (e: Error) => parentPort!.postMessage({ type: 'dma', error: e.message }),
    );
  }
});
parentPort!.postMessage({ type: 'ready', ranges: conn.ranges });
void conn.closed.then((reason) => parentPort!.postMessage({ type: 'closed', reason }));
