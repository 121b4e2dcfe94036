/** Inputs of buildPpce500DeviceTree(); each maps to a QEMU command-line option. */

export type Ppce500CpuModel = 'e500v2' | 'e500mc';

export interface Ppce500DeviceTreeParams {
  /** `-m`, in bytes. QEMU insists on a multiple of 64 MiB; the tree itself accepts any size. */
  readonly ramSize: number;
  /** `-smp`: 1..32 (QEMU's ppce500 limit). */
  readonly cpuCount: number;
  /** `-cpu`: only the cache-line sizes in the tree depend on it. */
  readonly cpuModel: Ppce500CpuModel;
  /** Number of `-serial` backends QEMU creates UARTs for (0 with `-serial none`). */
  readonly serialCount: 0 | 1 | 2;
  /** `-append`; QEMU stores an empty string when absent. */
  readonly bootargs?: string;
  /** `-initrd` placement (see placePpce500BootImages); end is exclusive. */
  readonly initrd?: { readonly start: number; readonly end: number };
  /** `/chosen/qemu,boot-kernel`: present whenever `-kernel` is given (see placePpce500BootImages). */
  readonly bootKernel?: { readonly address: number; readonly size: number };
  /** The 32 bytes of `/chosen/rng-seed`; fresh random bytes when absent. */
  readonly rngSeed?: Uint8Array;
  /**
   * Phandle of the MPIC; MSI and GPIO get the next two. QEMU's allocator never
   * resets, so its value depends on how many trees QEMU built before; see
   * PPCE500_FIRST_PHANDLE_AT_BOOT.
   */
  readonly firstPhandle?: number;
}
