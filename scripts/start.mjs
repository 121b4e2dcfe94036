#!/usr/bin/env node
// `npm start`: set up what the default machine needs, then boot it — in this one process.
// Setup with nothing to do is a few stat calls; a second Node for it (the old
// `setup.mjs && ngkvm.js` chain) cost a whole runtime start (~0.1 s) before the VMM's own.
// Arguments after `npm start --` are appended to the default command line.
import { fileURLToPath } from 'node:url';
import { setup } from './setup.mjs';

const DEFAULT_MACHINE = ['run', '--machine', 'ppce500', '-m', '256M', '--bios', '/usr/lib/u-boot/qemu-ppce500/uboot.elf', '--serial', 'stdio'];

await setup('start');
const bin = fileURLToPath(new URL('../bin/ngkvm.js', import.meta.url));
// bin/ngkvm.js reads its arguments from process.argv, as when it is run as a command.
process.argv = [process.argv[0], bin, ...DEFAULT_MACHINE, ...process.argv.slice(2)];
await import('../bin/ngkvm.js');
