/**
 * virtio: descriptor chains against every virtio device over both transports (the rounds of
 * test/support/virtio-fuzz.ts). Byte 0 picks the device, byte 1 the transport (virtio-mmio
 * or virtio-pci); the rest are the round's decisions, 4 bytes each (ByteChoices): queue
 * setup, chains valid and hostile, descriptor-table, indirect-table and ring bytes flipped,
 * index jumps, register scribbles. A round may end with the device working or in
 * NEEDS_RESET with one log line; an exception escaping the transport, DMA outside guest RAM,
 * an image access outside the image or a used entry naming no descriptor is a finding.
 */
import { Prng } from '../../support/prng.js';
import { ByteChoices, fuzzRound, type FuzzDevice, type FuzzStats } from '../../support/virtio-fuzz.js';
import { FuzzFinding, type FuzzTarget } from '../target.js';

const DEVICES: readonly FuzzDevice[] = ['blk', 'net', 'console', 'rng'];

function input(device: number, transport: number, rng: Prng, words: number): Uint8Array {
  return Uint8Array.of(device, transport, ...rng.bytes(4 * words));
}

export const virtioTarget: FuzzTarget = {
  name: 'virtio',
  description: 'descriptor chains, rings and register writes into virtio blk/net/console/rng over virtio-mmio and virtio-pci',
  seeds() {
    const out: Uint8Array[] = [];
    for (let d = 0; d < DEVICES.length; d++) {
      for (const t of [0, 1]) {
        out.push(input(d, t, new Prng(d * 2 + t + 1), 64));
      }
    }
    return out;
  },
  generate(rng) {
    return input(rng.below(DEVICES.length), rng.below(2), rng, 8 + rng.below(120));
  },
  run(bytes) {
    const device = DEVICES[(bytes[0] ?? 0) % DEVICES.length]!;
    const transport = ((bytes[1] ?? 0) & 1) === 0 ? 'mmio' : 'pci';
    const stats: FuzzStats = { rounds: 0, needsReset: 0, completed: 0, usedEntries: 0, problems: [] };
    fuzzRound(device, new ByteChoices(bytes.subarray(2)), stats, transport);
    if (stats.problems.length > 0) throw new FuzzFinding(stats.problems.join('\n'));
  },
};
