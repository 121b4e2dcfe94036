/**
 * The fuzz targets `npm run fuzz` knows, in the order it runs them. To add one: write a
 * FuzzTarget (see ../target.ts; a name, seeds, optionally a generator and a mutator, and a
 * `run` that accepts only the documented errors), add it here, and its saved cases under
 * test/fuzz-cases/<name>/ are replayed by `npm test` from then on.
 */
import type { FuzzTarget } from '../target.js';
import { apiTarget } from './api.js';
import { cliTarget } from './cli.js';
import { e500InsnTarget } from './e500-insn.js';
import { gdbPacketTarget, gdbStubTarget } from './gdb.js';
import { elfTarget, fdtTarget, initrdTarget, uimageTarget } from './images.js';
import { monitorTarget } from './monitor.js';
import { routeProtocolTarget } from './route-protocol.js';
import { virtioTarget } from './virtio.js';

export const TARGETS: readonly FuzzTarget[] = [gdbPacketTarget, gdbStubTarget, monitorTarget, elfTarget, uimageTarget, initrdTarget, fdtTarget, cliTarget, apiTarget, routeProtocolTarget, e500InsnTarget, virtioTarget];
