/**
 * One target's fuzzing loop in a worker thread (started by main.ts). The thread's heap is
 * limited (resourceLimits), so an input that allocates without bound ends the worker instead
 * of the machine; each input is copied into shared memory before it runs, so whoever watches
 * the worker can save the input that hung it or ran it out of memory.
 *
 * Shared memory layout (Int32 words, then the input bytes):
 *   [0] inputs started   [1] 1 while an input runs   [2] length of the current input
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fuzzLoop, type Finding } from './engine.js';
import type { FuzzTarget } from './target.js';

export interface WorkerJob {
  readonly module: string;
  readonly target: string;
  readonly seed: number;
  readonly maxInputs: number;
  /** The first input to run (inputs before it were run by a worker that ended). */
  readonly first: number;
  readonly deadline: number;
  readonly shared: SharedArrayBuffer;
  /** External (ArrayBuffer) memory above this after an input is a finding. */
  readonly externalLimitBytes: number;
}

export type WorkerMessage =
  | { readonly type: 'finding'; readonly finding: Finding }
  | { readonly type: 'done'; readonly inputs: number };

export const SLOT_HEADER = 16;
export const WORD_STARTED = 0;
export const WORD_RUNNING = 1;
export const WORD_LENGTH = 2;

async function main(job: WorkerJob): Promise<void> {
  const mod = (await import(job.module)) as Record<string, unknown>;
  const targets = (mod['TARGETS'] ?? []) as readonly FuzzTarget[];
  const target = targets.find((t) => t.name === job.target);
  if (target === undefined) throw new Error(`no fuzz target ${job.target} in ${job.module}`);
  const words = new Int32Array(job.shared, 0, SLOT_HEADER / 4);
  const slot = new Uint8Array(job.shared, SLOT_HEADER);
  const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
  let current: Uint8Array = new Uint8Array(0);
  let currentIndex = 0;
  const inputs = fuzzLoop(target, {
    seed: job.seed,
    maxInputs: job.maxInputs,
    first: job.first,
    deadline: job.deadline,
    starting: (input, index) => {
      current = input;
      currentIndex = index;
      const n = Math.min(input.length, slot.length);
      slot.set(input.subarray(0, n));
      Atomics.store(words, WORD_LENGTH, n);
      Atomics.store(words, WORD_RUNNING, 1);
      Atomics.add(words, WORD_STARTED, 1);
    },
    found: (finding) => post({ type: 'finding', finding }),
    after: (done) => {
      Atomics.store(words, WORD_RUNNING, 0);
      // Sampled: reading the process's memory figures costs microseconds.
      if (done % 64 === 0) {
        const external = process.memoryUsage().arrayBuffers;
        if (external > job.externalLimitBytes) {
          post({
            type: 'finding',
            finding: { kind: 'memory', message: `external memory ${external} bytes after input ${currentIndex} (limit ${job.externalLimitBytes})`, stack: '', input: current, index: currentIndex },
          });
          return false;
        }
      }
      return true;
    },
  });
  post({ type: 'done', inputs });
}

if (parentPort !== null && workerData !== null) void main(workerData as WorkerJob);
