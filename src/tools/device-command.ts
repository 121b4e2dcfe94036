/**
 * `ngkvm device uart --socket PATH`: a device process (docs/device-routes.md) serving a
 * 16550 UART on a VMM's route socket (`ngkvm run --device uart1,socket=PATH`), with its
 * serial line on this process's standard input and output. The guest's accesses to the
 * UART's registers come here from the vCPU without passing through the VMM's exit loop; its
 * interrupt goes back on the route's event channel. If this process ends, the VM runs on
 * (the UART reads as all ones); started again, it takes the UART over.
 */
import { Uart16550 } from '../devices/uart16550.js';
import { connectDevice } from '../vmm/remote/device-process.js';
import { UsageError, formatHelp, parseOptions, type OptionSpec } from './options.js';

const DEVICE_OPTIONS: readonly OptionSpec[] = [
  { name: 'socket', value: 'PATH', help: 'the VMM\'s route socket (the PATH of ngkvm run --device uart1,socket=PATH)' },
  { name: 'help', aliases: ['h'], help: 'show this help' },
];

export const DEVICE_USAGE = `usage: ngkvm device uart --socket PATH

Serves ppce500's UART1 from this process: start ngkvm run with --device uart1,socket=PATH,
then this command with the same PATH. The UART's serial line is this terminal.

options:
${formatHelp(DEVICE_OPTIONS)}`;

export async function deviceCommand(args: readonly string[]): Promise<number> {
  const [kind, ...rest] = args;
  if (kind === undefined || kind === '--help' || kind === '-h') {
    process.stdout.write(DEVICE_USAGE + '\n');
    return kind === undefined ? 2 : 0;
  }
  if (kind !== 'uart') throw new UsageError(`unknown device "${kind}"; ngkvm device serves: uart`);
  const opts = parseOptions(rest, DEVICE_OPTIONS);
  if (opts.has('help')) {
    process.stdout.write(DEVICE_USAGE + '\n');
    return 0;
  }
  const path = opts.get('socket');
  if (typeof path !== 'string') throw new UsageError('ngkvm device uart needs --socket PATH');
  const input: number[] = [];
  const uart = new Uart16550('uart1', {
    write: (byte) => void process.stdout.write(Uint8Array.of(byte)),
    read: () => input.shift() ?? -1,
  });
  let conn;
  try {
    conn = await connectDevice({ path, name: 'uart1', models: [uart] });
  } catch (err) {
    process.stderr.write(`ngkvm: cannot serve the UART on ${path}: ${(err as Error).message}\n`);
    return 1;
  }
  const c = conn;
  uart.onIrq = (level) => c.host.setIrq(0, level);
  process.stdin.on('data', (b: Buffer) => {
    for (const byte of b) input.push(byte);
    // The receive interrupt must not wait for the guest to poll.
    uart.pollInput();
  });
  process.stdin.resume();
  const reason = await c.closed;
  process.stdin.pause();
  process.stderr.write(`ngkvm: device uart: ${reason}\n`);
  return 0;
}
