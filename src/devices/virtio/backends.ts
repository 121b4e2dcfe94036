/**
 * What virtio devices need from the host, as small synchronous interfaces. The VMM supplies
 * the Node implementations (src/vmm/virtio-backends/); tests supply in-memory ones. A
 * backend throws for a host failure (an I/O error); the device turns that into the
 * protocol's error status, never into an exception that leaves the device.
 */

/** A disk image (raw). */
export interface BlockBackend {
  /** Size in bytes (the device exposes whole 512-byte sectors). */
  readonly size: number;
  readonly readOnly: boolean;
  /** Fills dst from the image at `offset`; the range is inside the image. */
  read(offset: number, dst: Uint8Array): void;
  /** Writes src at `offset`; the range is inside the image. */
  write(offset: number, src: Uint8Array): void;
  /** Makes every completed write durable (fdatasync) before returning. */
  flush(): void;
  /** The range's contents may be dropped; later reads of it return zeros. */
  discard(offset: number, length: number): void;
  /** The range reads as zeros afterwards. */
  writeZeroes(offset: number, length: number): void;
}

/** One end of a network link: Ethernet frames, without virtio headers. */
export interface NetBackend {
  /** Sends a frame; a congested or unconnected link may drop it (as a wire would). */
  send(frame: Uint8Array): void;
  /** The next received frame without taking it, or undefined when none waits. */
  peek(): Uint8Array | undefined;
  /** Takes the frame peek() returned. */
  take(): void;
}

/** A character device (QEMU's chardev): console bytes in and out. */
export interface CharBackend {
  /** Writes all of `bytes` (may wait for the host side to drain). */
  write(bytes: Uint8Array): void;
  /** Up to `max` bytes of waiting input; empty when there is none. */
  read(max: number): Uint8Array;
}

/** Random bytes (the host's CSPRNG). */
export interface EntropySource {
  fill(dst: Uint8Array): void;
}
