/** The board resets the vCPUs' TLBs through the shared arrays and seeds them as QEMU does. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Hypervisor } from '../../../src/api/index.js';
import { Ppce500Board } from '../../../src/boards/ppce500/board.js';
import { GUEST_BUILD } from '../../support/paths.js';

test('reset: TLBs emptied through the array, the boot CPU gets its TLB1[0] mapping back', async () => {
  const elf = join(GUEST_BUILD, 'e500v2', 'arith.elf');
  const board = Ppce500Board.create(await Hypervisor.open({ accel: 'e500' }), {
    cpu: 'e500v2',
    cpus: 2,
    ramSize: 256 << 20,
    bios: { name: elf, bytes: new Uint8Array(readFileSync(elf)) },
    serials: [{ write: () => {}, read: () => -1 }],
  });
  const boot = [...board.tlbs[0]!.valid(1)];
  assert.equal(boot.length, 1);
  assert.equal(boot[0]!.esel, 0);
  assert.equal(boot[0]!.entry.mas1, 0x80000800, '64 MiB, no IPROT, as QEMU');
  assert.equal([...board.tlbs[1]!.valid(0)].length + [...board.tlbs[1]!.valid(1)].length, 0, 'CPU 1 starts empty');
  // Run the guest to its end: it maps CCSR and more.
  for (;;) {
    const { vcpu, exit } = board.vm.runVcpus();
    if (board.handleExit(vcpu, exit) === 'reset') break;
  }
  assert.ok([...board.tlbs[0]!.valid(1)].length > 1, 'the guest added TLB1 entries');
  board.tlbs[1]!.write(0, 0, 0x1000, { mas8: 0, mas1: 0x80000100, mas2: 0x1000, mas7_3: 0x3fn });
  board.reset();
  assert.deepEqual([...board.tlbs[0]!.valid(1)].map((s) => [s.esel, s.entry.mas1]), [[0, 0x80000800]]);
  assert.equal([...board.tlbs[0]!.valid(0)].length, 0);
  assert.equal([...board.tlbs[1]!.valid(0)].length, 0);
  assert.equal(board.vcpus[1]!.getMpState(), 'stopped');
  assert.equal(board.vcpus[0]!.translate(0x0300_0000).kind, 'mapped', 'the vCPU itself sees the new contents');
  assert.equal(board.vcpus[0]!.translate(0xe000_0000).kind, 'unmapped', 'and not the guest CCSR mapping any more');
});

test('a checkstop (shutdown exit) ends the run with status 1 and the reason; a reset request is a reset', async () => {
  const elf = join(GUEST_BUILD, 'e500v2', 'arith.elf');
  const board = Ppce500Board.create(await Hypervisor.open({ accel: 'e500' }), {
    cpu: 'e500v2',
    cpus: 1,
    ramSize: 256 << 20,
    bios: { name: elf, bytes: new Uint8Array(readFileSync(elf)) },
    serials: [{ write: () => {}, read: () => -1 }],
  });
  const vcpu = board.vcpus[0]!;
  assert.deepEqual(board.handleExit(vcpu, { kind: 'shutdown', reason: 'machine check with MSR[ME]=0' }), {
    kind: 'exit',
    code: 1,
    reason: 'the vCPU stopped: machine check with MSR[ME]=0',
  });
  assert.equal(board.handleExit(vcpu, { kind: 'system-event', event: 'reset', reason: 'RSTCR' }), 'reset');
});
