/**
 * Property tests of the shared Book E TLB: random guest `tlbwe`/`tlbivax`, random VMM edits of
 * the array followed by `dirtyTlb`, and random lookups, run on the vCPU and on an independent
 * reference model. After every step the shared array must equal the model entry for entry,
 * `translate` must agree with the model, and guest loads must reach the physical address the
 * model predicts (so no stale cached translation survives a VMM edit).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BookeTlbEntry } from '../../../src/api/booke.js';
import { TlbModel, type ModelEntry } from '../../support/booke-tlb-model.js';
import { RAM_BYTES, tlbVm, type TlbVm } from '../../support/booke-tlb-vm.js';

/** xorshift32: deterministic, so a failure names its seed and step. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const CORES = [
  { target: 'e500v2', tlb0: 512, tlb0Ways: 4, tlb1: 16, pidBits: 8, hasMas8: false },
  { target: 'e500mc', tlb0: 512, tlb0Ways: 4, tlb1: 64, pidBits: 14, hasMas8: true },
  { target: 'e500v2', tlb0: 16384, tlb0Ways: 8, tlb1: 64, pidBits: 8, hasMas8: false },
] as const;

const STEPS = 400;
const SEEDS = [1, 0xdecafbad, 77];
const TIDS = [0, 0, 1, 2, 5];

function toModel(e: BookeTlbEntry): ModelEntry {
  return { mas1: e.mas1, mas2: e.mas2, mas3: Number(e.mas7_3 & 0xffffffffn), mas7: Number(e.mas7_3 >> 32n), mas8: e.mas8 };
}

function compareArrays(t: TlbVm, model: TlbModel, where: string): void {
  const expected = model.ordered();
  for (let i = 0; i < t.view.totalEntries; i++) {
    const got = toModel(t.view.slotAt(i).entry);
    const want = expected[i]!;
    // Invalid entries only need to stay invalid; their other fields are the guest's business.
    if ((want.mas1 & 0x80000000) === 0 && (got.mas1 & 0x80000000) === 0) continue;
    assert.deepEqual(got, want, `${where}: shared array entry ${i} differs from the model`);
  }
}

for (const core of CORES) {
  describe(`shared TLB vs reference model: ${core.target}, TLB0 ${core.tlb0}×${core.tlb0Ways}, TLB1 ${core.tlb1}`, () => {
    for (const seed of SEEDS) {
      test(`seed ${seed}`, async () => {
        const t = await tlbVm(core);
        const model = new TlbModel({ tlb0Entries: core.tlb0, tlb0Ways: core.tlb0Ways, tlb1Entries: core.tlb1, pidBits: core.pidBits, hasMas8: core.hasMas8 });
        model.set(core.tlb0, { mas1: 0xc0000800, mas2: 0, mas3: 0x3f, mas7: 0, mas8: 0 });
        const r = rng(seed);
        const eas: number[] = [0x8000_0000];
        const loaded: number[] = [];
        let retargets = 0;
        const randomEa = (): number => {
          if (r(4) === 0) return 0x8000_0000 + r(0x8000) * 0x1000;
          const base = eas[r(eas.length)]!;
          const near = base + r(16) * 0x1000;
          return near <= 0xffff_f000 ? near : base;
        };
        const randomEntry = (tlb: 0 | 1): { mas1: number; mas2: number; mas3: number; mas7: number; mas8: number } => {
          const tsize = tlb === 0 ? 1 : 1 + r(7);
          const size = 1024 * 4 ** tsize;
          const ea = randomEa();
          eas.push(ea);
          const inRam = r(5) !== 0;
          const pa = inRam ? r(RAM_BYTES / size) * size : 0x1_0000_0000 + r(1 << 20) * 0x1000;
          const mas1 = (0x80000000 * (r(8) === 0 ? 0 : 1) + (tlb === 1 && r(6) === 0 ? 0x40000000 : 0) + (TIDS[r(TIDS.length)]! << 16) + (r(6) === 0 ? 0x1000 : 0) + (tsize << 8)) >>> 0;
          const mas2 = ((ea - (ea % size)) | (r(16) << 1)) >>> 0;
          const perms = r(64) | (r(3) === 0 ? 0 : 1);
          return { mas1, mas2, mas3: ((pa % 2 ** 32) - ((pa % 2 ** 32) % 4096) + perms) >>> 0, mas7: Math.floor(pa / 2 ** 32) & 0xf, mas8: 0 };
        };

        for (let step = 0; step < STEPS; step++) {
          const where = `seed ${seed} step ${step}`;
          const op = r(100);
          if (op < 35) {
            const tlb: 0 | 1 = r(2) === 0 ? 0 : 1;
            const e = randomEntry(tlb);
            const esel = tlb === 0 ? r(core.tlb0Ways) : 1 + r(core.tlb1 - 1);
            const mas0 = ((tlb << 28) | (esel << 16)) >>> 0;
            t.tlbwe({ mas0, ...e });
            model.tlbwe(mas0, e.mas1, e.mas2, e.mas3, e.mas7, e.mas8);
          } else if (op < 50) {
            const ea = (randomEa() | (r(2) === 0 ? 8 : 0) | (r(20) === 0 ? 4 : 0)) >>> 0;
            t.tlbivax(ea);
            model.tlbivax(ea);
          } else if (op < 70) {
            // The VMM edits entries in place, then reports them (a bitmap, or "everything").
            const many = r(10) === 0;
            const n = many ? 100 + r(200) : 1 + r(3);
            for (let k = 0; k < n; k++) {
              const tlb: 0 | 1 = r(2) === 0 ? 0 : 1;
              const index = tlb === 0 ? r(core.tlb0) : core.tlb0 + 1 + r(core.tlb1 - 1);
              const e = randomEntry(tlb);
              if (tlb === 0) {
                // The array position decides the set; keep the EPN in that set, as a VMM must.
                const set = Math.floor(index / core.tlb0Ways);
                const sets = core.tlb0 / core.tlb0Ways;
                e.mas2 = ((Math.floor(e.mas2 / 4096 / sets) * sets + set) * 4096 + (e.mas2 & 0x1f)) >>> 0;
                e.mas1 = ((e.mas1 & ~0x40000f00) | 0x100) >>> 0;
              }
              t.view.writeAt(index, { mas8: 0, mas1: e.mas1, mas2: e.mas2, mas7_3: (BigInt(e.mas7) << 32n) | BigInt(e.mas3) });
              model.set(index, e);
            }
            if (r(4) === 0) t.view.markAllDirty();
            t.view.sync(t.vcpu);
          } else if (op < 85 && loaded.length > 0) {
            // Retarget the entry behind a translation the vCPU has just used and cached.
            const ea = loaded[r(loaded.length)]!;
            const hit = model.lookup(ea, 0, 0);
            let retargeted: number | undefined;
            if (hit !== null && hit.tlb === 1 && hit.entry !== model.tlb1[0]) {
              const index = core.tlb0 + model.tlb1.indexOf(hit.entry);
              const size = model.sizeOf(1, hit.entry);
              const pa = r(RAM_BYTES / size) * size;
              const e = { ...hit.entry, mas3: ((pa - (pa % 4096)) | (hit.entry.mas3 & 0xfff)) >>> 0, mas7: 0 };
              t.view.writeAt(index, { mas8: e.mas8, mas1: e.mas1, mas2: e.mas2, mas7_3: BigInt(e.mas3) });
              model.set(index, e);
              t.view.sync(t.vcpu);
              retargeted = ea;
            } else if (hit !== null && hit.tlb === 0) {
              const index = model.tlb0.flat().indexOf(hit.entry);
              const pa = r(RAM_BYTES / 4096) * 4096;
              const e = { ...hit.entry, mas3: (pa | (hit.entry.mas3 & 0xfff)) >>> 0, mas7: 0 };
              t.view.writeAt(index, { mas8: e.mas8, mas1: e.mas1, mas2: e.mas2, mas7_3: BigInt(e.mas3) });
              model.set(index, e);
              t.view.sync(t.vcpu);
              retargeted = ea;
            }
            if (retargeted !== undefined) {
              // The very next guest access through the translation it had cached.
              const hitNow = model.lookup(retargeted, 0, 0)!;
              const phys = model.physOf(hitNow, retargeted);
              if ((hitNow.entry.mas3 & 1) !== 0) {
                assert.equal(t.load(retargeted, 0) >>> 0, phys - (phys % 4), `${where}: load after the VMM retargeted 0x${retargeted.toString(16)}`);
                retargets++;
              }
            }
          } else {
            const ea = r(2) === 0 && loaded.length > 0 ? loaded[r(loaded.length)]! : randomEa();
            const as: 0 | 1 = r(5) === 0 ? 1 : 0;
            const pid = r(4) === 0 ? TIDS[r(TIDS.length)]! : 0;
            const hit = model.lookup(ea, as, pid);
            const got = t.vcpu.translate(ea, { as, pid });
            if (hit === null) {
              assert.equal(got.kind, 'unmapped', `${where}: translate(0x${ea.toString(16)}) should miss`);
            } else {
              assert.equal(got.kind, 'mapped', `${where}: translate(0x${ea.toString(16)}) should hit`);
              if (got.kind !== 'mapped') return;
              const phys = model.physOf(hit, ea);
              assert.equal(got.phys, phys, `${where}: physical address of 0x${ea.toString(16)}`);
              assert.equal(got.pageSize, model.sizeOf(hit.tlb, hit.entry));
              assert.ok(got.booke !== undefined, 'a Book E vCPU reports the entry');
              assert.equal(got.booke.tlb, hit.tlb);
              assert.equal(got.booke.sr, (hit.entry.mas3 & 1) !== 0);
              assert.equal(got.booke.wimge, hit.entry.mas2 & 0x1f);
              // A load through the guest's own MMU must reach the same word (LE pages byte-swap).
              const readable = (hit.entry.mas3 & 1) !== 0 && (hit.entry.mas2 & 1) === 0;
              if (as === 0 && readable && phys + 4 <= RAM_BYTES) {
                const aligned = (ea & ~3) >>> 0;
                assert.equal(t.load(aligned, pid) >>> 0, phys - (phys % 4), `${where}: guest load at 0x${aligned.toString(16)}`);
                if (pid === 0) loaded.push(aligned);
              }
            }
          }
          compareArrays(t, model, where);
        }
        assert.ok(retargets >= 5, `only ${retargets} retargeted translations were checked; the sequence needs more of them`);
      });
    }
  });
}
