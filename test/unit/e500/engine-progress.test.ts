/**
 * A guest that faults without ever completing an instruction (its instruction fetch takes
 * an ISI whose vector is itself not executable) must still use up the engine's budget, so
 * the time and kick checks run and run()/runSlice() return: found by the e500-insn fuzz
 * target as a hang of the whole vCPU thread (a tlbwe that took execute permission away).
 *
 * The case runs in a worker so that a regression fails (the watchdog ends the worker)
 * instead of hanging the test run; the watchdog is minutes, far beyond any slow machine.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { generateCase, runCase, type CaseState } from '../../fuzz/e500-insn.js';

const WATCHDOG_MS = 300_000;

/** TLB1[0] and [1] (EA 0, 1 MiB: code and vectors, AS0 and AS1) readable and writable but not executable. */
function noExecute(c: CaseState): CaseState {
  return { ...c, tlb: c.tlb.map((t, k) => (k <= 1 ? { ...t, mas3: t.mas3 & ~0x30 } : t)) };
}

interface Job {
  readonly family: 'e500v2' | 'e500mc';
  readonly jit: 'off' | 'always';
}

if (!isMainThread) {
  const job = workerData as Job;
  const o = runCase(noExecute(generateCase(7, job.family)), job.jit);
  parentPort!.postMessage({ end: o.end, error: o.error, instructions: o.instructions, exits: o.exits });
} else {
  for (const family of ['e500v2', 'e500mc'] as const) {
    for (const jit of ['off', 'always'] as const) {
      test(`${family} ${jit}: an ISI loop on the vector ends the slice`, async () => {
        const worker = new Worker(new URL(import.meta.url), { workerData: { family, jit } satisfies Job });
        let timer: NodeJS.Timeout | undefined;
        const result = await Promise.race([
          new Promise<{ end: string; error?: string; instructions: number; exits: string[] }>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
          new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), WATCHDOG_MS))),
        ]);
        clearTimeout(timer);
        await worker.terminate();
        assert.notEqual(result, null, 'the engine never returned from the slice');
        assert.equal(result!.error, undefined);
        assert.equal(result!.end, 'limit');
        assert.equal(result!.instructions, 0);
        assert.deepEqual(result!.exits, []);
      });
    }
  }
}
