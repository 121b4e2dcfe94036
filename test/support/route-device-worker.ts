/**
 * A device process in a worker thread (for tests): serves a ScratchDevice on the route
 * socket `workerData.path`, reports its access log when asked, and can be told to raise
 * its interrupt line or be slow.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connectDevice } from '../../src/vmm/remote/device-process.js';
import { ScratchDevice } from './route-scratch-device.js';

const { path, slowMs } = workerData as { path: string; slowMs?: number };
const dev = new ScratchDevice('scratch');
dev.slowMs = slowMs ?? 0;
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
