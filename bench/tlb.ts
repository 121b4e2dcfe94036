/**
 * The shared Book E TLB (KVM_CAP_SW_TLB) against the copy-per-entry interface of the first
 * proposal (seed 002), on a 16384 + 64-entry TLB: the seed's question "is the array approach
 * fast enough?" answered in figures. The copy way is what a VMM without the shared array must
 * do: one call per entry to set it (KVM_PPC_SET_TLBE) or fetch it (KVM_PPC_GET_TLB), each
 * call copying the entry and, for a set, invalidating what the vCPU cached from it.
 */
import { BOOKE_TLB_ENTRY_BYTES, MMU_FSL_BOOKE_NOHV, readTlbEntry, type BookeTlbConfig, type BookeTlbEntry } from '../src/api/booke.js';
import { BookeTlbView } from '../src/api/booke-tlb-view.js';
import { Hypervisor } from '../src/api/index.js';
import { table } from './harness.js';

const TLB0 = 16384;
const WAYS = 4;
const TLB1 = 64;

/** Median time per call in nanoseconds of `f`, called `n` times per round. */
function time(n: number, f: (i: number) => void, rounds = 7): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    samples.push(Number(process.hrtime.bigint() - t0) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const fmt = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(1)} µs` : `${ns.toFixed(0)} ns`);

export async function benchTlb(): Promise<void> {
  const hv = await Hypervisor.open({ accel: 'e500' });
  const vm = hv.createVm({ name: 'tlb-bench' });
  const vcpu = vm.createVcpu(0, { target: 'e500v2' });
  const total = TLB0 + TLB1;
  const bytes = total * BOOKE_TLB_ENTRY_BYTES;
  const config: BookeTlbConfig = {
    mmuType: MMU_FSL_BOOKE_NOHV,
    params: { tlbSizes: [TLB0, TLB1, 0, 0], tlbWays: [WAYS, TLB1, 0, 0] },
    array: new ArrayBuffer(bytes),
    arrayLength: bytes,
  };
  vcpu.configTlb(config);
  const view = new BookeTlbView(config);
  const sets = TLB0 / WAYS;
  // Entry i of TLB0 maps EA 0x8000_0000 + (i / WAYS) pages... in its own set, distinct per way.
  const entryFor = (i: number, salt: number): BookeTlbEntry => {
    if (i >= TLB0) return { mas8: 0, mas1: 0x80000100, mas2: (0x4000_0000 + (i - TLB0) * 0x1000) >>> 0, mas7_3: BigInt(((i + salt) % 4096) * 0x1000 + 0x3f) };
    const set = Math.floor(i / WAYS);
    const way = i % WAYS;
    const ea = (0x8000_0000 + (way * sets + set) * 0x1000) >>> 0;
    return { mas8: 0, mas1: 0x80000100, mas2: ea, mas7_3: BigInt(((i + salt) % 4096) * 0x1000 + 0x3f) };
  };
  const fillAll = (salt: number): void => {
    for (let i = 0; i < total; i++) view.writeAt(i, entryFor(i, salt));
  };

  // --- shared array
  let salt = 0;
  const allShared = time(1, () => {
    fillAll(++salt);
    view.sync(vcpu);
  });
  const dirtyAllOnly = time(1000, () => vcpu.dirtyTlb(null, total));
  const bitmap = new Uint8Array(Math.ceil(total / 8));
  const oneShared = time(20000, (i) => {
    const idx = (i * 7919) % total;
    view.writeAt(idx, entryFor(idx, i));
    view.sync(vcpu);
  });
  fillAll(0);
  view.sync(vcpu);
  const eas = Array.from({ length: 4096 }, (_, i) => (0x8000_0000 + ((i * 2654435761) % TLB0) * 0x1000 + (i & 0xfff)) >>> 0);
  const translate = time(200000, (i) => {
    if (vcpu.translate(eas[i & 4095]!).kind !== 'mapped') throw new Error('benchmark TLB lost a mapping');
  });

  // --- the copy way: one call per entry, each copying the entry (and, to set it, invalidating)
  const arrayView = new DataView(config.array);
  const setTlbe = (index: number, e: BookeTlbEntry): void => {
    const copy: BookeTlbEntry = { ...e };
    view.writeAt(index, copy);
    bitmap.fill(0);
    bitmap[index >>> 3] = 1 << (index & 7);
    vcpu.dirtyTlb(bitmap, 1);
  };
  const getTlbe = (index: number): BookeTlbEntry => ({ ...readTlbEntry(arrayView, index) });
  const allCopy = time(1, () => {
    ++salt;
    for (let i = 0; i < total; i++) setTlbe(i, entryFor(i, salt));
  });
  const oneCopy = time(20000, (i) => setTlbe((i * 7919) % total, entryFor((i * 7919) % total, i)));
  const fetchAll = time(3, () => {
    for (let i = 0; i < total; i++) getTlbe(i);
  });
  view.sync(vcpu);

  const rows = [
    ['operation (16384 + 64 entries)', 'shared array', 'copy per entry', 'copy / array'],
    ['change every entry, then tell the vCPU', fmt(allShared), fmt(allCopy), (allCopy / allShared).toFixed(1)],
    ['change one entry, then tell the vCPU', fmt(oneShared), fmt(oneCopy), (oneCopy / oneShared).toFixed(1)],
    ['look up one EA (translate vs fetch all + search)', fmt(translate), fmt(fetchAll), (fetchAll / translate).toFixed(0)],
  ];
  process.stdout.write(`\nShared Book E TLB (KVM_CAP_SW_TLB) vs one entry per call; dirtyTlb(all) alone: ${fmt(dirtyAllOnly)}\n`);
  process.stdout.write(table(rows) + '\n');
}
