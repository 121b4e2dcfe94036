/**
 * Worker side of the cross-thread shared-TLB test: owns a vCPU whose TLB array is a
 * SharedArrayBuffer the main thread also maps, and runs requests from the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { gpa } from '../../src/api/index.js';
import { CORE } from '../../src/accel/e500/registers.js';
import { tlbVm } from './booke-tlb-vm.js';
import { words } from './ppc-asm.js';

export type TlbWorkerRequest =
  | { readonly op: 'tlbwe'; readonly mas: { mas0: number; mas1: number; mas2: number; mas3: number; mas7: number } }
  | { readonly op: 'dirty'; readonly bitmap: Uint8Array | null; readonly count: number }
  | { readonly op: 'load'; readonly ea: number }
  | { readonly op: 'spin' };

const t = await tlbVm({ ...(workerData as { target: string; tlb0: number; tlb0Ways: number; tlb1: number }), shared: true });
parentPort!.postMessage({ op: 'ready', array: t.config.array, handle: t.vcpu.handle() });
parentPort!.on('message', (req: TlbWorkerRequest) => {
  try {
    switch (req.op) {
      case 'tlbwe':
        t.tlbwe(req.mas);
        parentPort!.postMessage({ op: 'done' });
        break;
      case 'dirty':
        t.vcpu.dirtyTlb(req.bitmap, req.count);
        parentPort!.postMessage({ op: 'done' });
        break;
      case 'load':
        parentPort!.postMessage({ op: 'done', value: t.load(req.ea, 0) >>> 0 });
        break;
      case 'spin': {
        // A guest loop that keeps loading through TLB1[1] until the main thread kicks it.
        // lis r4,0x9000; lwz r5,0(r4); b .-4
        t.vm.memory.write(gpa(0x3000), words(0x3c809000, 0x80a40000, 0x4bfffffc));
        t.vcpu.setRegister(CORE.PC, 0x3000n);
        const exit = t.vcpu.run();
        parentPort!.postMessage({ op: 'done', exit: exit.kind });
        break;
      }
    }
  } catch (err) {
    parentPort!.postMessage({ op: 'error', message: String(err) });
  }
});
