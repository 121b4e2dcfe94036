/**
 * virtio-rng (entropy device, spec 5.4): one queue of device-writable buffers, each filled
 * with random bytes from the host's EntropySource. As QEMU's virtio-rng: queue size 8, no
 * features of its own, no configuration space.
 */
import type { EntropySource } from './backends.js';
import { VIRTIO_ID } from './constants.js';
import type { VirtioDevice, VirtioDeviceHost } from './device.js';
import { ChainWriter } from './virtqueue.js';

/** Bytes handed out per request at most (a request may ask for up to 4 GiB). */
const MAX_PER_REQUEST = 64 * 1024;

export class VirtioRng implements VirtioDevice {
  readonly name = 'virtio-rng';
  readonly deviceId = VIRTIO_ID.entropy;
  readonly features = 0n;
  readonly queueSizes = [8];
  readonly configSize = 0;
  private host: VirtioDeviceHost | undefined;

  constructor(private readonly entropy: EntropySource) {}

  attach(host: VirtioDeviceHost): void {
    this.host = host;
  }

  readConfig(): number {
    return 0;
  }

  writeConfig(): void {}

  activate(): void {}

  reset(): void {}

  /** Nothing: each request is filled inside notify(), and the entropy source is the host's. */
  saveState(): void {}

  loadState(): void {}

  notify(index: number): void {
    const host = this.host;
    const vq = host?.queue(index);
    if (host === undefined || vq === undefined || index !== 0) return;
    do {
      for (let chain = vq.pop(); chain !== undefined; chain = vq.pop()) {
        const n = Math.min(chain.writableBytes, MAX_PER_REQUEST);
        const bytes = new Uint8Array(n);
        this.entropy.fill(bytes);
        const w = new ChainWriter(host.dma, chain.writable);
        vq.push(chain, w.write(bytes));
      }
    } while (vq.armNotification());
    host.usedBuffers(index);
  }
}
