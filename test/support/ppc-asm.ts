/**
 * A few PowerPC instruction encoders for hand-assembled test guests (big-endian words).
 * Only what the unit tests need; field layouts follow the Power ISA instruction formats.
 */
const d = (op: number, rt: number, ra: number, imm: number): number => ((op << 26) | (rt << 21) | (ra << 16) | (imm & 0xffff)) >>> 0;
const x = (rt: number, ra: number, rb: number, xo: number, rc = 0): number =>
  ((31 << 26) | (rt << 21) | (ra << 16) | (rb << 11) | (xo << 1) | rc) >>> 0;
const spr = (n: number): number => ((n & 0x1f) << 16) | (((n >>> 5) & 0x1f) << 11);

export const asm = {
  addi: (rt: number, ra: number, imm: number) => d(14, rt, ra, imm),
  li: (rt: number, imm: number) => d(14, rt, 0, imm),
  lis: (rt: number, imm: number) => d(15, rt, 0, imm),
  ori: (ra: number, rs: number, imm: number) => d(24, rs, ra, imm),
  lwz: (rt: number, ra: number, disp: number) => d(32, rt, ra, disp),
  stw: (rs: number, ra: number, disp: number) => d(36, rs, ra, disp),
  lbz: (rt: number, ra: number, disp: number) => d(34, rt, ra, disp),
  stb: (rs: number, ra: number, disp: number) => d(38, rs, ra, disp),
  lhz: (rt: number, ra: number, disp: number) => d(40, rt, ra, disp),
  sth: (rs: number, ra: number, disp: number) => d(44, rs, ra, disp),
  lmw: (rt: number, ra: number, disp: number) => d(46, rt, ra, disp),
  stmw: (rs: number, ra: number, disp: number) => d(47, rs, ra, disp),
  add: (rt: number, ra: number, rb: number) => x(rt, ra, rb, 266),
  /** b to a byte offset relative to this instruction. */
  b: (off: number) => ((18 << 26) | (off & 0x03fffffc)) >>> 0,
  sc: (lev = 0) => ((17 << 26) | (lev << 5) | 2) >>> 0,
  mtspr: (n: number, rs: number) => ((31 << 26) | (rs << 21) | spr(n) | (467 << 1)) >>> 0,
  mfspr: (rt: number, n: number) => ((31 << 26) | (rt << 21) | spr(n) | (339 << 1)) >>> 0,
  mtdcr: (n: number, rs: number) => ((31 << 26) | (rs << 21) | spr(n) | (451 << 1)) >>> 0,
  mfdcr: (rt: number, n: number) => ((31 << 26) | (rt << 21) | spr(n) | (323 << 1)) >>> 0,
  mtmsr: (rs: number) => x(rs, 0, 0, 146),
  wait: () => x(0, 0, 0, 62),
  wrteei: (e: 0 | 1) => ((31 << 26) | (e << 15) | (163 << 1)) >>> 0,
  rfi: () => ((19 << 26) | (50 << 1)) >>> 0,
  tlbwe: () => x(0, 0, 0, 978),
  isync: () => ((19 << 26) | (150 << 1)) >>> 0,
  nop: () => d(24, 0, 0, 0),
  /** An encoding that is not an instruction on either core (primary opcode 1). */
  illegal: () => 0x04000000 | (1 << 26),
} as const;

/** Ends a test guest: a store to STOP_ADDR (0x0300_0000), which exits as MMIO. */
export const stop = (): number[] => [asm.lis(2, 0x0300), asm.stw(0, 2, 0)];

export function words(...ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const v = new DataView(b.buffer);
  ws.forEach((w, i) => v.setUint32(i * 4, w >>> 0));
  return b;
}
