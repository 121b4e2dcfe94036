/** The host's CSPRNG as a virtio-rng entropy source (QEMU's default rng-random on /dev/urandom). */
import { randomFillSync } from 'node:crypto';
import type { EntropySource } from '../../devices/virtio/backends.js';

export const hostEntropy: EntropySource = {
  fill(dst: Uint8Array): void {
    randomFillSync(dst);
  },
};
