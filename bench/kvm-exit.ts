/**
 * Cost of an exit through the TypeScript VMM on /dev/kvm, against a C program doing the same
 * KVM_RUN loop on the same device in the same run (bench/kvm-exit-anchor.c, built with gcc
 * here). The TypeScript loop includes what a VMM pays per exit: KVM_RUN through the shim,
 * decoding the run area into an Exit, and the dispatch back to run().
 *
 * Also: a compute loop in a CPL3 64-bit guest, against the same loop run by the host. On
 * PVM hosts (these project machines) CPL3 guest code runs natively and CPL0 code is
 * emulated, so the exits here (real mode, CPL0) go through PVM's emulator in both programs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hypervisor, gpa, x86Gpr, x86Segment, type Exit } from '../src/api/index.js';
import { assemble } from '../test/support/x86-asm.js';
import { loadLongMode, machine } from '../test/support/kvm-vm.js';
import { ROOT, median, table } from './harness.js';

const EXITS = 20_000;
const LOOP = 500_000_000;

async function tsExitLoop(kind: 'pio' | 'mmio'): Promise<number> {
  const hv = await Hypervisor.open({ accel: 'kvm' });
  const vm = hv.createVm({ name: `bench-${kind}` });
  try {
    const ram = vm.createMemory(0x8000, { name: 'ram' });
    vm.setMemoryMap([{ guestAddr: gpa(0), size: ram.size, backing: ram, offset: 0 }]);
    const code = kind === 'pio' ? '1: out %al, $0x10\njmp 1b' : '1: mov %al, (0x9000)\njmp 1b';
    vm.memory.write(gpa(0x1000), assemble('.code16\n' + code, 0x1000));
    const v = vm.createVcpu(0, { target: 'host' });
    v.setRegisters([
      [x86Segment('cs', 'selector'), 0n],
      [x86Segment('cs', 'base'), 0n],
      [x86Segment('ds', 'selector'), 0n],
      [x86Segment('ds', 'base'), 0n],
      [x86Gpr('rip'), 0x1000n],
      [x86Gpr('rflags'), 2n],
      [x86Gpr('rax'), 0x41n],
    ]);
    let sink = 0;
    const step = (): Exit => {
      const e = v.run();
      // What a VMM's dispatch touches: the kind, the address, the data.
      if (e.kind === 'pio') sink += e.port + e.data[0]!;
      else if (e.kind === 'mmio') sink += e.addr + e.data[0]!;
      else throw new Error(`unexpected exit ${e.kind}`);
      return e;
    };
    for (let i = 0; i < 1000; i++) step();
    const samples: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < EXITS; i++) step();
      samples.push(Number(process.hrtime.bigint() - t0) / EXITS);
    }
    if (sink === 0) throw new Error('unreachable');
    return median(samples);
  } finally {
    vm.close();
    hv.close();
  }
}

async function cpl3Loop(): Promise<number> {
  const m = await machine();
  try {
    loadLongMode(m, `mov $${LOOP}, %rcx\nxor %rax, %rax\n1: add %rcx, %rax\ndec %rcx\njnz 1b\nmov %rax, 0x30000000\njmp .`, { cpl: 3 });
    const t0 = process.hrtime.bigint();
    const e = m.vcpu.run();
    const ns = Number(process.hrtime.bigint() - t0) / LOOP;
    if (e.kind !== 'mmio') throw new Error(`CPL3 loop ended with ${e.kind}`);
    return ns;
  } finally {
    m.close();
  }
}

export async function benchKvmExit(): Promise<void> {
  if (!existsSync('/dev/kvm')) {
    console.log('kvm-exit: skipped, /dev/kvm does not exist on this host');
    return;
  }
  if (spawnSync('gcc', ['--version']).status !== 0) {
    console.log('kvm-exit: skipped, gcc is needed to build the C anchor');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'ngkvm-bench-'));
  try {
    const anchor = join(dir, 'anchor');
    execFileSync('gcc', ['-O2', '-o', anchor, join(ROOT, 'bench', 'kvm-exit-anchor.c')]);
    const c = (mode: string, n: number): number => Number(execFileSync(anchor, [mode, String(n)], { encoding: 'utf8' }).trim());
    const rows: string[][] = [['', 'TypeScript VMM', 'C loop', 'ratio']];
    for (const kind of ['pio', 'mmio'] as const) {
      const cNs = median([c(kind, EXITS), c(kind, EXITS), c(kind, EXITS)]);
      const tsNs = await tsExitLoop(kind);
      rows.push([`${kind.toUpperCase()} exit round trip (real mode)`, `${(tsNs / 1000).toFixed(2)} µs`, `${(cNs / 1000).toFixed(2)} µs`, `${(tsNs / cNs).toFixed(2)}×`]);
    }
    const guest = await cpl3Loop();
    const host = c('loop', LOOP);
    rows.push([`CPL3 guest loop, ${LOOP / 1e6}M iterations (per iteration)`, `${guest.toFixed(3)} ns`, `${host.toFixed(3)} ns (host)`, `${(guest / host).toFixed(2)}×`]);
    console.log('kvm-exit: exits through the TypeScript VMM vs a C KVM_RUN loop on the same /dev/kvm');
    console.log(table(rows));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
