/**
 * The one error for a host end of the VMM that cannot be set up (a serial port's file or
 * socket, the monitor's socket, the gdb stub's port, a device route's socket, a netdev's socket
 * or tap, an incoming migration's port): a user's mistake or the host's state, reported as one line without a stack trace.
 * `what` says which end, `code` is stable.
 */
export type HostEnd = 'serial' | 'monitor' | 'gdb' | 'device' | 'netdev' | 'incoming';

const CODES: Readonly<Record<HostEnd, string>> = { serial: 'ERR_SERIAL', monitor: 'ERR_MONITOR', gdb: 'ERR_GDB_SETUP', device: 'ERR_DEVICE_SETUP', netdev: 'ERR_NETDEV', incoming: 'ERR_INCOMING' };

export class HostSetupError extends Error {
  readonly what: HostEnd;
  readonly code: string;

  constructor(what: HostEnd, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostSetupError';
    this.what = what;
    this.code = CODES[what];
  }
}
