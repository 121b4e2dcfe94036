/**
 * Picks the boot protocol for an x86-microvm kernel image: a PVH ELF or a bzImage.
 */
import { BoardError, asImageError } from '../errors.js';
import { isElf, parseElf } from '../loaders/elf.js';
import { isBzImage, loadBzImage } from './bzimage.js';
import { loadPvh, pvhEntry, type BootPlan, type KernelLoadOptions } from './pvh.js';

/** The boot plan for `opts.kernel`; throws BoardError only (see asImageError). */
export function loadKernel(opts: KernelLoadOptions): BootPlan {
  return asImageError(opts.kernel.name, () => planKernel(opts));
}

function planKernel(opts: KernelLoadOptions): BootPlan {
  const { bytes, name } = opts.kernel;
  if (isBzImage(bytes)) return loadBzImage(opts);
  if (isElf(bytes)) {
    const elf = parseElf(bytes, name);
    if (pvhEntry(elf, name) === undefined) {
      throw new BoardError(
        'ERR_IMAGE_FORMAT',
        `${name}: ELF without a Xen PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY = 18); x86-microvm boots PVH ELF kernels (Linux built with CONFIG_PVH, or a vmlinux) and bzImages`,
      );
    }
    return loadPvh(opts);
  }
  throw new BoardError('ERR_IMAGE_FORMAT', `${name}: neither a PVH ELF kernel nor a Linux bzImage; x86-microvm boots those two formats`);
}
