/**
 * Lays out a tree as a version 17 blob:
 *   header | pad to 16 | reservation map | struct block | strings block | zero padding
 * The reservation map starts at offset 0x30, where libfdt's sequential writer
 * (and hence QEMU) puts it, so that equal trees give equal blobs.
 */
import { FdtError } from './fdt-error.js';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_LAST_COMPATIBLE_VERSION,
  FDT_MAGIC,
  FDT_PROP,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_VERSION,
  HeaderField,
  align4,
} from './format.js';
import { encodeText } from './property-values.js';
import type { FdtReservation } from './tree.js';

/** What the writer needs from a node: property name offsets are resolved by the caller. */
export interface WritableNode {
  readonly name: string;
  readonly properties: readonly { readonly nameOffset: number; readonly value: Uint8Array }[];
  readonly children: readonly WritableNode[];
}

export interface BlobLayout {
  readonly root: WritableNode;
  readonly strings: Uint8Array;
  readonly reservations: readonly FdtReservation[];
  readonly bootCpuidPhys: number;
  /** Pad the blob to this many bytes; the natural size when absent. */
  readonly totalSize?: number;
}

const RESERVATION_MAP_OFFSET = alignUp(FDT_HEADER_SIZE, FDT_RESERVE_ENTRY_SIZE);
const U64_LIMIT = 1n << 64n;

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

export function writeBlob(layout: BlobLayout): Uint8Array {
  const names = new Map<WritableNode, Uint8Array>();
  const structSize = measureNode(layout.root, names) + 4;
  const reservations = [...layout.reservations, { address: 0n, size: 0n }];
  const structOffset = RESERVATION_MAP_OFFSET + reservations.length * FDT_RESERVE_ENTRY_SIZE;
  const stringsOffset = structOffset + structSize;
  const usedSize = stringsOffset + layout.strings.length;
  const totalSize = layout.totalSize ?? usedSize;
  if (!Number.isInteger(totalSize) || totalSize < usedSize || totalSize > 0xffff_ffff) {
    throw new FdtError('size-exceeded', `the tree needs ${usedSize} bytes; totalsize ${totalSize} cannot hold it`);
  }
  if (!Number.isInteger(layout.bootCpuidPhys) || layout.bootCpuidPhys < 0 || layout.bootCpuidPhys > 0xffff_ffff) {
    throw new FdtError('invalid-value', `boot_cpuid_phys ${layout.bootCpuidPhys} is not a u32`);
  }

  const blob = new Uint8Array(totalSize);
  const view = new DataView(blob.buffer);
  view.setUint32(HeaderField.magic, FDT_MAGIC);
  view.setUint32(HeaderField.totalSize, totalSize);
  view.setUint32(HeaderField.offDtStruct, structOffset);
  view.setUint32(HeaderField.offDtStrings, stringsOffset);
  view.setUint32(HeaderField.offMemRsvmap, RESERVATION_MAP_OFFSET);
  view.setUint32(HeaderField.version, FDT_VERSION);
  view.setUint32(HeaderField.lastCompVersion, FDT_LAST_COMPATIBLE_VERSION);
  view.setUint32(HeaderField.bootCpuidPhys, layout.bootCpuidPhys);
  view.setUint32(HeaderField.sizeDtStrings, layout.strings.length);
  view.setUint32(HeaderField.sizeDtStruct, structSize);

  reservations.forEach(({ address, size }, i) => {
    if (address < 0n || address >= U64_LIMIT || size < 0n || size >= U64_LIMIT) {
      throw new FdtError('invalid-value', `reservation ${address}+${size} is not a pair of u64`);
    }
    view.setBigUint64(RESERVATION_MAP_OFFSET + i * FDT_RESERVE_ENTRY_SIZE, address);
    view.setBigUint64(RESERVATION_MAP_OFFSET + i * FDT_RESERVE_ENTRY_SIZE + 8, size);
  });

  const end = writeNode(layout.root, names, blob, view, structOffset);
  view.setUint32(end, FDT_END);
  blob.set(layout.strings, stringsOffset);
  return blob;
}

function measureNode(node: WritableNode, names: Map<WritableNode, Uint8Array>): number {
  const name = encodeText(node.name, 'node name');
  names.set(node, name);
  let size = 4 + align4(name.length + 1);
  for (const property of node.properties) size += 12 + align4(property.value.length);
  for (const child of node.children) size += measureNode(child, names);
  return size + 4;
}

// Relies on the blob being zero-filled: name terminators and alignment padding are never written.
function writeNode(
  node: WritableNode,
  names: Map<WritableNode, Uint8Array>,
  blob: Uint8Array,
  view: DataView,
  offset: number,
): number {
  const name = names.get(node)!;
  view.setUint32(offset, FDT_BEGIN_NODE);
  blob.set(name, offset + 4);
  let at = offset + 4 + align4(name.length + 1);
  for (const property of node.properties) {
    view.setUint32(at, FDT_PROP);
    view.setUint32(at + 4, property.value.length);
    view.setUint32(at + 8, property.nameOffset);
    blob.set(property.value, at + 12);
    at += 12 + align4(property.value.length);
  }
  for (const child of node.children) at = writeNode(child, names, blob, view, at);
  view.setUint32(at, FDT_END_NODE);
  return at + 4;
}
