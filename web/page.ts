/**
 * The page: machine options, the serial console in an xterm.js terminal, and a panel with
 * the boot vCPU's registers, its TLB, exit statistics and speed. The machine runs in a
 * worker (worker.ts); this side only moves bytes through shared rings, sets request bits
 * and kicks the vCPUs, so a guest spinning in a loop never blocks the page.
 */
import { Terminal } from '@xterm/xterm';
import { Hypervisor, type RemoteVcpu } from '../src/api/index.js';
import { SharedRing } from '../src/vmm/ring.js';
import {
  CONTROL_BYTES, REQ_INPUT, REQ_PAUSE, REQ_RESET, REQ_RESUME, REQ_STATUS, REQ_TIMER, REQ_WORD,
  type MachineOptions, type StartMessage, type Status, type WorkerMessage,
} from './protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);

/** What tests and the benchmark read (window.ngkvm). */
interface PageState {
  state: 'stopped' | 'starting' | 'running' | 'paused' | 'ended' | 'error';
  status: Status | null;
  /** Guest instructions per µs between the last two status updates. */
  mips: number;
  ended: { reason: string; instructions: number; ms: number } | null;
  error: string | null;
  /** The terminal's screen and scrollback as text, lines joined with \n. */
  screenText(): string;
}

const term = new Terminal({ convertEol: false, scrollback: 5000, fontSize: 14, cols: 80, rows: 30 });
term.open($('term'));

const page: PageState = {
  state: 'stopped',
  status: null,
  mips: 0,
  ended: null,
  error: null,
  screenText: () => {
    const b = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < b.length; i++) {
      const line = b.getLine(i);
      const text = line?.translateToString(true) ?? '';
      // A line the terminal wrapped continues the one before, as the guest wrote it.
      if (line?.isWrapped === true && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    return lines.join('\n').replace(/\n+$/, '');
  },
};
(globalThis as unknown as { ngkvm: PageState }).ngkvm = page;

interface Running {
  readonly worker: Worker;
  readonly control: Int32Array;
  readonly output: SharedRing;
  readonly input: SharedRing;
  vcpu: RemoteVcpu | null;
  /** Typed bytes the input ring had no room for yet. */
  pending: Uint8Array[];
  timer: ReturnType<typeof setTimeout> | undefined;
  last: Status | null;
}
let m: Running | null = null;

/** Sets request bits and wakes the machine: a kick ends a run, a notify ends a pause. */
function request(bits: number): void {
  if (m === null) return;
  Atomics.or(m.control, REQ_WORD, bits);
  Atomics.notify(m.control, REQ_WORD);
  m.vcpu?.kick();
}

const encoder = new TextEncoder();
term.onData((data) => {
  if (m === null) return;
  m.pending.push(encoder.encode(data));
  feedInput();
});

function feedInput(): void {
  if (m === null || m.pending.length === 0) return;
  while (m.pending.length > 0) {
    const chunk = m.pending[0]!;
    const n = m.input.write(chunk);
    if (n < chunk.length) {
      m.pending[0] = chunk.subarray(n);
      break;
    }
    m.pending.shift();
  }
  request(REQ_INPUT);
}

/** Console output, every frame; and input that did not fit last time. */
function pump(): void {
  if (m !== null) {
    const bytes = m.output.drain();
    if (bytes.length > 0) term.write(bytes);
    feedInput();
  }
  requestAnimationFrame(pump);
}
requestAnimationFrame(pump);
// Frames stop in a hidden tab; the console must not stall the guest then.
setInterval(() => m !== null && m.output.available() > 0 && term.write(m.output.drain()), 100);

setInterval(() => {
  if (page.state === 'running' || page.state === 'paused') request(REQ_STATUS);
}, 500);

async function imageFrom(fileInput: HTMLInputElement, url: string | null): Promise<{ name: string; bytes: Uint8Array } | undefined> {
  const file = fileInput.files?.[0];
  if (file !== undefined) return { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) };
  if (url === null || url === '') return undefined;
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${r.statusText}`);
  return { name: url, bytes: new Uint8Array(await r.arrayBuffer()) };
}

async function start(): Promise<void> {
  stop();
  term.reset();
  page.state = 'starting';
  page.ended = null;
  page.error = null;
  page.status = null;
  render();
  const ramMiB = Number(($('ram') as HTMLSelectElement).value);
  const bios = await imageFrom($('bios-file'), ($('bios-url') as HTMLInputElement).value);
  const kernel = await imageFrom($('kernel-file'), ($('kernel-url') as HTMLInputElement).value);
  const initrd = await imageFrom($('initrd-file'), ($('initrd-url') as HTMLInputElement).value);
  const append = ($('append') as HTMLInputElement).value;
  const options: MachineOptions = {
    cpu: ($('cpu') as HTMLSelectElement).value,
    ramSize: ramMiB * 1024 * 1024,
    smp: Number(($('smp') as HTMLInputElement).value),
    ...(bios !== undefined ? { bios } : {}),
    ...(kernel !== undefined ? { kernel } : {}),
    ...(initrd !== undefined ? { initrd } : {}),
    ...(append !== '' ? { append } : {}),
    noReboot: params.has('noreboot'),
  };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const run: Running = {
    worker,
    control: new Int32Array(control),
    output: SharedRing.create(1 << 16),
    input: SharedRing.create(1 << 12),
    vcpu: null,
    pending: [],
    timer: undefined,
    last: null,
  };
  m = run;
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => void onMessage(run, e.data);
  worker.onerror = (e) => fail(run, e.message);
  const msg: StartMessage = { type: 'start', options, control, output: run.output.descriptor(), input: run.input.descriptor() };
  worker.postMessage(msg);
}

function stop(): void {
  if (m === null) return;
  clearTimeout(m.timer);
  m.worker.terminate();
  m = null;
  page.state = 'stopped';
}

function fail(run: Running, message: string): void {
  if (m !== run) return;
  page.state = 'error';
  page.error = message;
  term.write(`\r\n\x1b[31m${message.replace(/\n/g, '\r\n')}\x1b[0m\r\n`);
  render();
}

async function onMessage(run: Running, msg: WorkerMessage): Promise<void> {
  if (m !== run) return;
  switch (msg.type) {
    case 'ready':
      run.vcpu = await Hypervisor.attachVcpu(msg.handle as Parameters<typeof Hypervisor.attachVcpu>[0]);
      page.state = 'running';
      request(REQ_STATUS);
      break;
    case 'status':
      showStatus(run, msg.status);
      break;
    case 'timer':
      clearTimeout(run.timer);
      run.timer = msg.inMs === Infinity ? undefined : setTimeout(() => request(REQ_TIMER), msg.inMs);
      break;
    case 'log':
      console.warn(msg.line);
      term.write(`\x1b[33m${msg.line}\x1b[0m\r\n`);
      break;
    case 'ended':
      term.write(run.output.drain());
      page.ended = { reason: msg.reason, instructions: msg.instructions, ms: msg.ms };
      page.state = 'ended';
      render();
      break;
    case 'error':
      fail(run, msg.message);
      break;
  }
}

function showStatus(run: Running, s: Status): void {
  const last = run.last;
  page.mips = last !== null && s.atMs > last.atMs ? (s.instructions - last.instructions) / ((s.atMs - last.atMs) * 1000) : 0;
  run.last = s;
  page.status = s;
  if (page.state !== 'ended') page.state = s.state === 'paused' ? 'paused' : s.state === 'ended' ? 'ended' : 'running';
  render();
}

const hex8 = (v: bigint): string => v.toString(16).padStart(8, '0');

function render(): void {
  $('state').textContent = page.state + (page.ended !== null ? ` (${page.ended.reason})` : '');
  ($('pause') as HTMLButtonElement).disabled = page.state !== 'running';
  ($('resume') as HTMLButtonElement).disabled = page.state !== 'paused';
  ($('reset') as HTMLButtonElement).disabled = page.state !== 'running' && page.state !== 'paused';
  const s = page.status;
  if (s === null) return;
  $('mips').textContent = page.mips.toFixed(1);
  $('insns').textContent = String(s.instructions);
  // QEMU's `info registers` layout: four to a line.
  const regs = s.registers.map(([name, v]) => `${name.toUpperCase().padEnd(4)}${hex8(v)}`);
  const lines: string[] = [];
  for (let i = 0; i < regs.length; i += 4) lines.push(regs.slice(i, i + 4).join(' '));
  $('regs').textContent = lines.join('\n');
  $('tlb').textContent = s.tlb.replace(/^\n/, '');
  $('stats').textContent = Object.entries(s.stats)
    .filter(([, n]) => n !== 0)
    .map(([k, n]) => `${k.padEnd(18)} ${n}`)
    .join('\n');
}

$('pause').onclick = () => request(REQ_PAUSE);
$('resume').onclick = () => request(REQ_RESUME);
$('reset').onclick = () => request(REQ_RESET);
($('options') as HTMLFormElement).onsubmit = (e) => {
  e.preventDefault();
  start().catch((err: unknown) => {
    page.state = 'error';
    page.error = String(err);
    term.write(`\r\n\x1b[31m${String(err)}\x1b[0m\r\n`);
  });
};

/** The image fields each Guest choice fills; Linux is the cached build scripts/web.mjs serves. */
function guestFields(guest: string): Readonly<Record<string, string>> {
  switch (guest) {
    case 'uboot':
      return { 'bios-url': 'uboot.elf', 'kernel-url': '', 'initrd-url': '', append: '' };
    case 'linux': {
      // One kernel per e500 family, as the CLI's Linux tests boot it.
      const family = ($('cpu') as HTMLSelectElement).value === 'e500mc' ? 'e500mc' : 'e500v2';
      return { 'bios-url': '', 'kernel-url': `linux/${family}/vmlinux`, 'initrd-url': 'linux/initramfs.cpio.gz', append: 'console=ttyS0' };
    }
    default:
      return {};
  }
}

function chooseGuest(guest: string): void {
  ($('guest') as HTMLSelectElement).value = guest;
  for (const [id, v] of Object.entries(guestFields(guest))) ($(id) as HTMLInputElement).value = v;
}

const IMAGE_FIELDS = ['bios-url', 'bios-file', 'kernel-url', 'kernel-file', 'initrd-url', 'initrd-file', 'append'];
$('guest').onchange = () => chooseGuest(($('guest') as HTMLSelectElement).value);
// Linux's kernel follows the CPU's family; a field edited by hand makes the guest "other".
$('cpu').addEventListener('change', () => ($('guest') as HTMLSelectElement).value === 'linux' && chooseGuest('linux'));
for (const id of IMAGE_FIELDS) $(id).addEventListener('input', () => (($('guest') as HTMLSelectElement).value = 'custom'));

/** The server offers Linux only once `npm run linux:build` has built it. */
async function linuxAvailable(): Promise<boolean> {
  const r = await fetch('linux/available').catch(() => null);
  return r?.ok === true;
}

async function init(): Promise<void> {
  const linux = await linuxAvailable();
  const option = document.querySelector<HTMLOptionElement>('#guest option[value="linux"]')!;
  option.disabled = !linux;
  option.textContent = linux ? 'Linux' : 'Linux (not built)';
  // Options from the address (?cpu=e500mc&ram=512&smp=2, ?linux, ?bios=URL&kernel=URL&initrd=URL&append=…), then start.
  for (const [param, id] of [['cpu', 'cpu'], ['ram', 'ram'], ['smp', 'smp']] as const) {
    const v = params.get(param);
    if (v !== null) ($(id) as HTMLInputElement).value = v;
  }
  if (params.has('linux')) {
    if (!linux) {
      page.state = 'error';
      page.error = 'the Linux images are not built: run "npm run linux:build"';
      term.write(`\x1b[31m${page.error}\x1b[0m\r\n`);
      render();
      return;
    }
    chooseGuest('linux');
  }
  const images = [['bios', 'bios-url'], ['kernel', 'kernel-url'], ['initrd', 'initrd-url'], ['append', 'append']] as const;
  if (images.some(([param]) => params.has(param))) ($('guest') as HTMLSelectElement).value = 'custom';
  for (const [param, id] of images) {
    const v = params.get(param);
    if (v !== null) ($(id) as HTMLInputElement).value = v;
  }
  if (params.has('kernel') && !params.has('bios')) ($('bios-url') as HTMLInputElement).value = '';
  term.focus();
  if (params.get('autostart') !== '0') ($('options') as HTMLFormElement).requestSubmit();
}
void init();
