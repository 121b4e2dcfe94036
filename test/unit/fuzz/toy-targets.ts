/** Fuzz targets with planted bugs, for the harness's own tests. */
import type { FuzzTarget } from '../../fuzz/target.js';

/** Throws when two bytes in a row are 0xde 0xad: found by mutation within a few thousand inputs. */
export const plantedTarget: FuzzTarget = {
  name: 'planted',
  description: 'a planted exception',
  seeds: () => [Uint8Array.of(0xde, 0x00, 0xad, 0x00, 1, 2, 3)],
  run(input) {
    for (let i = 1; i < input.length; i++) if (input[i - 1] === 0xde && input[i] === 0xad) throw new RangeError('planted');
  },
};

/** Loops for ever when the input starts with 0xee (its second seed). */
const hangs: FuzzTarget = {
  name: 'hangs',
  description: 'a planted hang',
  seeds: () => [Uint8Array.of(1), Uint8Array.of(0xee)],
  run(input) {
    if (input[0] === 0xee) for (;;);
  },
};

/** Keeps allocating on its second seed. */
const retained: unknown[] = [];
const allocates: FuzzTarget = {
  name: 'allocates',
  description: 'a planted runaway allocation',
  seeds: () => [Uint8Array.of(1), Uint8Array.of(0xaa)],
  run(input) {
    if (input[0] === 0xaa) for (;;) retained.push(new Array(1 << 16).fill(retained.length));
  },
};

export const TARGETS: readonly FuzzTarget[] = [plantedTarget, hangs, allocates];
