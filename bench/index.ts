/**
 * `npm run bench`: every benchmark prints its figures and the ratio against its anchor
 * measured in the same run (QEMU for the e500 accelerator). Benchmarks never fail on timing;
 * these machines are noisy, so the numbers are for people to read.
 */
import { benchBackend } from './backend.js';
import { benchCpu } from './cpu.js';
import { benchDevices } from './devices.js';
import { benchGdb } from './gdb.js';
import { benchKvmExit } from './kvm-exit.js';
import { benchLinux } from './linux.js';
import { benchMigrate } from './migrate.js';
import { benchTlb } from './tlb.js';
import { benchUboot } from './uboot.js';
import { benchVirtio } from './virtio.js';
import { benchWeb } from './web.js';

const only = process.argv[2];
const benches: Record<string, () => Promise<void>> = { cpu: benchCpu, backend: benchBackend, uboot: benchUboot, tlb: benchTlb, gdb: benchGdb, 'kvm-exit': benchKvmExit, linux: benchLinux, devices: benchDevices, virtio: benchVirtio, migrate: benchMigrate, web: benchWeb };
for (const [name, run] of Object.entries(benches)) {
  if (only !== undefined && only !== name) continue;
  await run();
}
