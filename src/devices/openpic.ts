/** The MPIC lives in `mpic/`; this path is what the boards import. */
export { OpenPic, GCR_MODE_PROXY, MPIC_IPI_BASE, MPIC_TIMER_BASE, type MpicOutputs, type OpenPicOptions } from './mpic/openpic.js';
