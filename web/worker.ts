/**
 * The machine thread of the page: the same API, e500 accelerator, devices and ppce500 board
 * as the Node VMM, run in a Web Worker. Like src/vmm/machine-worker.ts it handles exits
 * synchronously between runs; requests from the page (input, status, pause, reset, a due
 * timer) come as bits in a shared word with a kick, and are served after any exit.
 */
import { Hypervisor } from '../src/api/index.js';
import { Ppce500Board } from '../src/boards/ppce500/board.js';
import { TimerQueue, wallClockFrom } from '../src/devices/clock.js';
import type { SerialBackend } from '../src/devices/uart16550.js';
import { formatBookeTlb } from '../src/vmm/monitor/booke.js';
import { SharedRing } from '../src/vmm/ring.js';
import { REQ_INPUT, REQ_PAUSE, REQ_RESET, REQ_RESUME, REQ_STATUS, REQ_WORD, type StartMessage, type Status, type WorkerMessage } from './protocol.js';

const scope = globalThis as unknown as { postMessage(m: WorkerMessage): void; onmessage: ((e: MessageEvent<StartMessage>) => void) | null };
const post = (m: WorkerMessage): void => scope.postMessage(m);

/** The registers the page shows, in this order; the rest of registerList() is for the monitor. */
const SHOWN = ['pc', 'msr', 'lr', 'ctr', 'cr', 'xer', ...Array.from({ length: 32 }, (_, i) => `r${i}`)];

scope.onmessage = (e) => {
  scope.onmessage = null;
  run(e.data).catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
};

async function run(msg: StartMessage): Promise<void> {
  const { options } = msg;
  const control = new Int32Array(msg.control);
  const output = new SharedRing(msg.output);
  const input = new SharedRing(msg.input);
  // Output waits while the page has not drained the ring (the guest stalls in its UART
  // write, as on the CLI); the page drains it on every animation frame.
  const serial: SerialBackend = { write: (b) => void output.writeByteBlocking(b, () => false), read: () => input.readByte() };
  const timers = new TimerQueue();
  timers.onEarliestChanged = (deadlineNs) => post({ type: 'timer', inMs: deadlineNs === Infinity ? Infinity : Math.max(0, (deadlineNs - timers.nowNs()) / 1e6) });

  const hv = await Hypervisor.open({ accel: 'e500' });
  const board = Ppce500Board.create(hv, {
    cpu: options.cpu,
    cpus: options.smp,
    ramSize: options.ramSize,
    ...(options.bios !== undefined ? { bios: options.bios } : {}),
    ...(options.kernel !== undefined ? { kernel: options.kernel } : {}),
    ...(options.initrd !== undefined ? { initrd: options.initrd } : {}),
    ...(options.append !== undefined ? { append: options.append } : {}),
    serials: [serial],
    clock: timers,
    wallClock: wallClockFrom(Date.now(), timers),
    log: (line) => post({ type: 'log', line }),
  });
  const boot = board.vcpus[0]!;
  const shown = boot.registerList().filter((d) => SHOWN.includes(d.name)).sort((a, b) => SHOWN.indexOf(a.name) - SHOWN.indexOf(b.name));
  post({ type: 'ready', handle: boot.handle() });

  const instructions = (): number => board.vcpus.reduce((n, v) => n + (v.stats()['instructions'] ?? 0), 0);
  const status = (state: Status['state']): Status => {
    const tlb = board.tlbs[0];
    tlb?.refresh(boot);
    const values = boot.getRegisters(shown.map((d) => d.id));
    return {
      state,
      registers: shown.map((d, i) => [d.name, values[i]!] as const),
      tlb: tlb === undefined ? '' : formatBookeTlb(tlb),
      stats: { ...boot.stats() },
      instructions: instructions(),
      atMs: performance.now(),
    };
  };

  let paused = false;
  const t0 = performance.now();
  for (;;) {
    let event = step(board, paused, control);
    const req = Atomics.exchange(control, REQ_WORD, 0);
    if (req !== 0) {
      if ((req & REQ_INPUT) !== 0) board.pollInput();
      if ((req & REQ_PAUSE) !== 0) paused = true;
      if ((req & REQ_RESUME) !== 0) paused = false;
      if ((req & REQ_RESET) !== 0) event = 'reset';
      if ((req & REQ_STATUS) !== 0) post({ type: 'status', status: status(paused ? 'paused' : 'running') });
    }
    // REQ_TIMER needs nothing more: every due timer runs here.
    if (timers.nextDeadline() !== Infinity) timers.runDue();
    if (typeof event === 'object' || (event === 'reset' && options.noReboot && (req & REQ_RESET) === 0)) {
      const reason = typeof event === 'object' ? event.reason : 'the guest asked for a reset';
      post({ type: 'status', status: status('ended') });
      post({ type: 'ended', reason, instructions: instructions(), ms: performance.now() - t0 });
      return;
    }
    if (event === 'reset') board.reset();
  }
}

type StepEvent = ReturnType<Ppce500Board['handleExit']>;

/** One run of the vCPUs and the board's handling of its exit; while paused, a sleep until the page asks for something. */
function step(board: Ppce500Board, paused: boolean, control: Int32Array): StepEvent {
  if (paused) {
    Atomics.wait(control, REQ_WORD, 0);
    return 'none';
  }
  const { vcpu, exit } = board.vm.runVcpus();
  switch (exit.kind) {
    case 'interrupted':
    case 'halt':
      return 'none';
    default:
      return board.handleExit(vcpu, exit);
  }
}
