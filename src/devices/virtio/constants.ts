/**
 * Numbers from the virtio 1.x specification (OASIS virtio v1.2) shared by the transports and
 * the devices: device IDs, status bits, the transport feature bits, descriptor flags.
 * Feature sets are bigints (bit n = 1n << BigInt(n)) because they reach past bit 31.
 */

export const VIRTIO_ID = { net: 1, block: 2, console: 3, entropy: 4 } as const;

/** Device status register bits (spec 2.1). */
export const STATUS = {
  ACKNOWLEDGE: 0x01,
  DRIVER: 0x02,
  DRIVER_OK: 0x04,
  FEATURES_OK: 0x08,
  NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

/** Transport and ring feature bits (spec 6). */
export const F = {
  INDIRECT_DESC: 28,
  EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
  RING_RESET: 40,
} as const;

export const bit = (n: number): bigint => 1n << BigInt(n);
export const hasFeature = (features: bigint, n: number): boolean => (features & bit(n)) !== 0n;

/** Feature bits every ngkvm virtio device offers (the ring layer implements them). */
export const TRANSPORT_FEATURES = bit(F.INDIRECT_DESC) | bit(F.EVENT_IDX) | bit(F.VERSION_1) | bit(F.RING_RESET);

/** Descriptor flags (spec 2.7.5). */
export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
/** avail.flags: the driver does not want interrupts (ignored when EVENT_IDX is negotiated). */
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

/** Split-ring queues are at most this long (spec 2.7). */
export const VIRTQ_MAX_SIZE = 32768;
/** "No MSI-X vector" in the PCI transport's vector registers. */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

/** ISR / interrupt status bits shared by both transports. */
export const ISR_QUEUE = 0x1;
export const ISR_CONFIG = 0x2;
