/**
 * What the monitor's commands see of the machine. The machine thread implements it over the
 * board; unit tests implement it over fabricated vCPUs and TLBs.
 */
import type { Vcpu } from '../../api/hypervisor.js';
import type { BookeTlbSource } from './booke.js';

export interface MonitorCpu {
  /** Only what the commands use, so tests need no accelerator. */
  readonly vcpu: Pick<Vcpu, 'translate' | 'registerList' | 'getRegisters'>;
  /** Book E cores: the TLB shared with the accelerator (read while the vCPU does not run). */
  readonly bookeTlb?: BookeTlbSource;
}

export interface MonitorMachine {
  /** ngkvm's version, for `info version` and the greeting. */
  readonly version: string;
  readonly cpus: readonly MonitorCpu[];
  /** A system reset as the guest would ask for it (honours --no-reboot), after the command. */
  requestReset(): void;
  /** Ends the run with status 0 after the command. */
  requestQuit(): void;
}
