/**
 * Why the current instruction stopped (`Cpu.stop`): nothing in the e500 engine throws; a
 * fault or an exit to the VMM is recorded in the Cpu and every caller that may have caused
 * one checks `stop` afterwards.
 */
/** No stop: the instruction goes on. */
export const STOP_NONE = 0;
/** A synchronous interrupt was recorded (Cpu.faultIvor and friends). */
export const STOP_FAULT = 1;
/** An exit to the VMM was recorded (Cpu.exit.pending). */
export const STOP_EXIT = 2;
