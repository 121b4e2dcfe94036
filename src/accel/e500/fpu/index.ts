/**
 * Classic PowerPC FPU (Power ISA 2.06 Book I, as on the e500mc) emulated
 * bit-exactly against QEMU 7.2's `-cpu e500mc` behaviour.  See README.md in
 * this directory for the QEMU behaviours reproduced and how they differ from
 * the ISA.
 */
export { FpuState, FP_OK, FP_ENABLED_EXCEPTION } from './state.js';
export {
  fadd, fadds, fsub, fsubs, fmul, fmuls, fdiv, fdivs,
  fmadd, fmadds, fmsub, fmsubs, fnmadd, fnmadds, fnmsub, fnmsubs,
} from './arith.js';
export {
  frsp, fctiw, fctiwz, fsel, fmr, fneg, fabs, fnabs,
  loadSingle, storeSingleBits, storeIntWordBits,
} from './convert.js';
export { fres, frsqrte } from './estimate.js';
export { fcmpu, fcmpo } from './compare.js';
// mffs, mtfsf, mtfsfi, mtfsb0, mtfsb1, mcrfs, cr1FromFpscr, storeFpscr and the FPSCR_* bit masks
export * from './fpscr.js';
