/**
 * Descriptor-chain fuzzing of every virtio device (test/support/virtio-fuzz.ts): random and
 * mutated descriptor tables, indirect tables and rings, random register writes. No exception
 * may escape, the device ends working or in NEEDS_RESET (with one log line), and no access
 * may leave guest RAM or the image. NGKVM_FUZZ_ROUNDS=N runs N rounds per device (default 400).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzzRound, type FuzzDevice, type FuzzStats } from '../../support/virtio-fuzz.js';

const ROUNDS = Number(process.env['NGKVM_FUZZ_ROUNDS'] ?? 400);

for (const kind of ['blk', 'net', 'console', 'rng'] as FuzzDevice[]) {
  for (const transport of ['mmio', 'pci'] as const) {
    const rounds = transport === 'mmio' ? ROUNDS : Math.ceil(ROUNDS / 4);
    test(`fuzz ${kind} over virtio-${transport}: ${rounds} rounds`, () => {
      const stats: FuzzStats = { rounds: 0, needsReset: 0, completed: 0, usedEntries: 0, problems: [] };
      for (let seed = 1; seed <= rounds; seed++) fuzzRound(kind, seed * 7919 + kind.length * 104729 + (transport === 'pci' ? 1 : 0), stats, transport);
      assert.deepEqual(stats.problems.slice(0, 5), []);
      assert.equal(stats.rounds, rounds);
      // The rounds must exercise both outcomes and real work, or the fuzzer is not fuzzing.
      assert.ok(stats.needsReset > 0, 'some rounds end in NEEDS_RESET');
      assert.ok(stats.completed > 0, 'some rounds end with a working device');
      assert.ok(stats.usedEntries > 0, 'some chains were used');
    });
  }
}
