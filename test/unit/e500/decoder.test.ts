/**
 * Decoder tests generated from the instruction table: every entry decodes back to itself in
 * each of its variants with random operand fields, no two entries share an encoding, and
 * availability per core is honoured.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Decoder } from '../../../src/accel/e500/insn/decoder.js';
import { INSN_TABLE, type InsnDef } from '../../../src/accel/e500/insn/table.js';
import { FAMILY_TRAITS, type CoreFamily } from '../../../src/accel/e500/models.js';

/** Deterministic pseudo-random numbers so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** An encoding of `spec` with random operands and the requested variant bits. */
function encode(spec: InsnDef, rand: () => number, rc: boolean, oe: boolean): number {
  let w = (spec.op << 26) >>> 0;
  // Random operand fields; the opcode fields below overwrite what they own.
  w |= rand() & 0x03fffffe;
  switch (spec.xoKind) {
    case 'x':
      w = (w & ~0x7fe) | (spec.xo! << 1);
      break;
    case 'xo':
      w = (w & ~0x7fe) | (spec.xo! << 1) | (oe ? 0x400 : 0);
      break;
    case 'a':
      w = (w & ~0x3e) | (spec.xo! << 1);
      break;
    case 'evx':
      w = (w & ~0x7ff) | spec.xo!;
      break;
    case 'none':
      break;
  }
  if (spec.xoKind !== 'evx') w = (w & ~1) | (rc ? 1 : 0);
  if (spec.update !== undefined) {
    // Update forms need rA != 0 (and rA != rT for loads).
    const rt = (w >>> 21) & 31;
    const ra = ((rt + 1) % 31) + 1;
    w = (w & ~(31 << 16)) | (ra << 16);
  }
  if (spec.name === 'bcctr') w |= 0x04 << 21; // BO[2]: no CTR decrement (else invalid)
  // Reserved bits set make an invalid form (tested below).
  w = (w & ~(spec.reserved ?? 0)) >>> 0;
  // Other invalid forms (reserved fields set, …) decode as illegal: draw again.
  const f = { word: w, d: (w >>> 21) & 31, a: (w >>> 16) & 31, b: (w >>> 11) & 31, c: (w >>> 6) & 31, e: (w >>> 1) & 31, imm: 0 };
  if (spec.invalid?.(f) === true) return encode(spec, rand, rc, oe);
  return w;
}

function availableOn(spec: InsnDef, family: CoreFamily): boolean {
  const t = FAMILY_TRAITS[family];
  if (spec.avail === 'all') return true;
  if (spec.avail === 'fpu') return t.hasFpu;
  if (spec.avail === 'spe') return t.hasSpe;
  if (spec.avail === 'dcr') return false;
  return spec.avail === family;
}

for (const family of ['e500v2', 'e500mc'] as const) {
  describe(`decoder (${family})`, () => {
    const decoder = new Decoder(family, FAMILY_TRAITS[family], new Set());

    test('every table entry decodes to itself in each variant', () => {
      const rand = rng(family === 'e500v2' ? 1 : 2);
      let checked = 0;
      for (const spec of INSN_TABLE) {
        if (!availableOn(spec, family)) continue;
        for (const rc of spec.rc === true ? [false, true] : [false]) {
          for (const oe of spec.oe === true ? [false, true] : [false]) {
            for (let k = 0; k < 20; k++) {
              const w = encode(spec, rand, rc, oe);
              const insn = decoder.decode(w);
              const want = spec.name + (oe ? 'o' : '') + (rc ? '.' : '');
              assert.equal(insn.name, want, `0x${w.toString(16)} should decode as ${want}`);
              checked++;
            }
          }
        }
      }
      assert.ok(checked > 4000, `checked ${checked} encodings`);
    });

    test('instructions of the other core are illegal here', () => {
      const rand = rng(3);
      for (const spec of INSN_TABLE) {
        if (availableOn(spec, family) || spec.avail === 'dcr') continue;
        const insn = decoder.decode(encode(spec, rand, false, false));
        assert.ok(insn.name === 'illegal' || insn.name === 'spe', `${spec.name} must not decode on ${family} (got ${insn.name})`);
      }
    });

    test('encodings outside the table are illegal', () => {
      // zero, primary opcode 1, an unassigned opcode-31 form, fsqrt (not on e500mc)
      for (const w of [0x00000000, 0x04000000, 0x7c0007fe, 0xfc00002c]) {
        const insn = decoder.decode(w);
        assert.ok(insn.name === 'illegal' || (family === 'e500v2' && insn.name === 'spe'), `0x${w.toString(16)} → ${insn.name}`);
      }
    });

    test('every reserved bit of every entry makes the form illegal', () => {
      const rand = rng(family === 'e500v2' ? 4 : 5);
      const illegal = decoder.decode(0).fn;
      let checked = 0;
      for (const spec of INSN_TABLE) {
        if (!availableOn(spec, family) || spec.reserved === undefined) continue;
        const w = encode(spec, rand, false, false);
        assert.notEqual(decoder.decode(w).fn, illegal, `${spec.name}: 0x${w.toString(16)} is valid`);
        for (let bit = 0; bit < 26; bit++) {
          if ((spec.reserved & (1 << bit)) === 0) continue;
          const bad = (w | (1 << bit)) >>> 0;
          assert.equal(decoder.decode(bad).name, 'illegal', `${spec.name} with bit 0x${(1 << bit).toString(16)} set (0x${bad.toString(16)})`);
          checked++;
        }
      }
      assert.ok(checked > 200, `checked ${checked} reserved bits`);
    });

    test('mfocrf/mtocrf name one CR field; other masks do what QEMU 7.2 does', () => {
      const mfocrf = (fxm: number): number => ((31 << 26) | (3 << 21) | 0x00100000 | (fxm << 12) | (19 << 1)) >>> 0;
      const mtocrf = (fxm: number): number => ((31 << 26) | (3 << 21) | 0x00100000 | (fxm << 12) | (144 << 1)) >>> 0;
      assert.equal(decoder.decode(mfocrf(0x20)).v.k, 3);
      assert.equal(decoder.decode(mfocrf(0x30)).v.k, decoder.decode(mfocrf(0)).v.k);
      assert.notEqual(decoder.decode(mfocrf(0x30)).v.k, 0);
      assert.equal(decoder.decode(mtocrf(0x20)).v.k, 0x20);
      assert.equal(decoder.decode(mtocrf(0x30)).v.k, 0);
    });

    test('invalid forms: update with rA = 0, bcctr decrementing CTR', () => {
      const lwzu = (33 << 26) | (3 << 21) | (0 << 16) | 8;
      assert.equal(decoder.decode(lwzu).fn, decoder.decode(0).fn);
      const bcctrDecrement = ((19 << 26) | (0x10 << 21) | (528 << 1)) >>> 0;
      assert.equal(decoder.decode(bcctrDecrement).fn, decoder.decode(0).fn);
    });
  });
}

test('no two table entries share an encoding', () => {
  const seen = new Map<string, string>();
  for (const spec of INSN_TABLE) {
    const keys: string[] = [];
    if (spec.xoKind === 'none') keys.push(`${spec.op}`);
    else if (spec.xoKind === 'a') for (let hi = 0; hi < 32; hi++) keys.push(`${spec.op}/${(hi << 5) | spec.xo!}`);
    else if (spec.xoKind === 'xo') keys.push(`${spec.op}/${spec.xo!}`, ...(spec.oe === true ? [`${spec.op}/${spec.xo! | 0x200}`] : []));
    else keys.push(`${spec.op}/${spec.xoKind === 'evx' ? 'e' : ''}${spec.xo!}`);
    for (const k of keys) {
      const prev = seen.get(k);
      assert.equal(prev, undefined, `${spec.name} and ${prev} share encoding ${k}`);
      seen.set(k, spec.name);
    }
  }
});

test('the dcr feature turns mfdcr/mtdcr on', () => {
  const off = new Decoder('e500v2', FAMILY_TRAITS.e500v2, new Set());
  const on = new Decoder('e500v2', FAMILY_TRAITS.e500v2, new Set(['dcr']));
  const mfdcr = ((31 << 26) | (3 << 21) | (323 << 1)) >>> 0;
  assert.equal(off.decode(mfdcr).name, 'illegal');
  assert.equal(on.decode(mfdcr).name, 'mfdcr');
});
