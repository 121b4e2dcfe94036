/**
 * Blob → tree. Treats the input as untrusted: every offset and length is
 * checked before use, the walk is iterative and always advances, and every
 * problem surfaces as an FdtError.
 */
import { FdtError } from './fdt-error.js';
import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_HEADER_SIZE,
  FDT_MAGIC,
  FDT_NOP,
  FDT_OLDEST_READABLE_VERSION,
  FDT_PROP,
  FDT_RESERVE_ENTRY_SIZE,
  FDT_V16_HEADER_SIZE,
  FDT_VERSION,
  HeaderField,
  align4,
} from './format.js';
import { decodeText } from './property-values.js';
import type { FdtHeader, FdtNode, FdtProperty, FdtReservation, ParsedFdt } from './tree.js';

/** Deeper trees are rejected so that recursive consumers of the result cannot overflow the stack. */
export const MAX_NODE_DEPTH = 256;
/** Longer property names are rejected: real ones are under 32 bytes, and scanning for huge ones repeatedly could stall. */
export const MAX_PROPERTY_NAME_LENGTH = 256;

export function parseFdt(blob: Uint8Array): ParsedFdt {
  const header = readHeader(blob);
  const data = blob.subarray(0, header.totalSize);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const headerSize = header.sizeDtStruct === undefined ? FDT_V16_HEADER_SIZE : FDT_HEADER_SIZE;

  checkBlock('memory reservation map', header.offMemRsvmap, 0, 8, headerSize, header.totalSize);
  checkBlock('strings block', header.offDtStrings, header.sizeDtStrings, 1, headerSize, header.totalSize);
  const structSize = header.sizeDtStruct ?? header.totalSize - header.offDtStruct;
  checkBlock('structure block', header.offDtStruct, structSize, 4, headerSize, header.totalSize);

  const names = new PropertyNames(data, header.offDtStrings, header.sizeDtStrings);
  const root = readStructure(data, view, header.offDtStruct, header.offDtStruct + structSize, names);
  return {
    header,
    root,
    reservations: readReservations(view, header.offMemRsvmap),
    bootCpuidPhys: header.bootCpuidPhys,
  };
}

function readHeader(blob: Uint8Array): FdtHeader {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const word = (offset: number): number => view.getUint32(offset);
  if (blob.length < 4) throw new FdtError('truncated', `${blob.length} bytes cannot hold an FDT header`);
  if (word(HeaderField.magic) !== FDT_MAGIC) {
    throw new FdtError('bad-magic', `magic is 0x${word(HeaderField.magic).toString(16)}, expected 0x${FDT_MAGIC.toString(16)}`, 0);
  }
  if (blob.length < FDT_V16_HEADER_SIZE) throw new FdtError('truncated', `${blob.length} bytes cannot hold an FDT header`);
  const version = word(HeaderField.version);
  const lastCompVersion = word(HeaderField.lastCompVersion);
  if (version < FDT_OLDEST_READABLE_VERSION || lastCompVersion > FDT_VERSION) {
    throw new FdtError(
      'unsupported-version',
      `version ${version} (last compatible ${lastCompVersion}) cannot be read; versions ${FDT_OLDEST_READABLE_VERSION}..${FDT_VERSION} can`,
      HeaderField.version,
    );
  }
  const headerSize = version >= 17 ? FDT_HEADER_SIZE : FDT_V16_HEADER_SIZE;
  if (blob.length < headerSize) throw new FdtError('truncated', `${blob.length} bytes cannot hold a version ${version} header`);
  const totalSize = word(HeaderField.totalSize);
  if (totalSize < headerSize) {
    throw new FdtError('bad-offset', `totalsize ${totalSize} is smaller than the header`, HeaderField.totalSize);
  }
  if (totalSize > blob.length) {
    throw new FdtError('truncated', `totalsize is ${totalSize} but only ${blob.length} bytes are present`, HeaderField.totalSize);
  }
  return {
    magic: FDT_MAGIC,
    totalSize,
    offDtStruct: word(HeaderField.offDtStruct),
    offDtStrings: word(HeaderField.offDtStrings),
    offMemRsvmap: word(HeaderField.offMemRsvmap),
    version,
    lastCompVersion,
    bootCpuidPhys: word(HeaderField.bootCpuidPhys),
    sizeDtStrings: word(HeaderField.sizeDtStrings),
    sizeDtStruct: version >= 17 ? word(HeaderField.sizeDtStruct) : undefined,
  };
}

function checkBlock(what: string, offset: number, size: number, alignment: number, headerSize: number, totalSize: number): void {
  if (offset % alignment !== 0) throw new FdtError('bad-offset', `${what} offset 0x${offset.toString(16)} is not ${alignment}-byte aligned`);
  if (offset < headerSize || offset > totalSize || size > totalSize - offset) {
    throw new FdtError('bad-offset', `${what} [0x${offset.toString(16)}, +0x${size.toString(16)}) lies outside the header..totalsize range`);
  }
}

function readReservations(view: DataView, offset: number): FdtReservation[] {
  const reservations: FdtReservation[] = [];
  for (let at = offset; ; at += FDT_RESERVE_ENTRY_SIZE) {
    if (at + FDT_RESERVE_ENTRY_SIZE > view.byteLength) {
      throw new FdtError('bad-reservation-map', 'memory reservation map has no terminating entry', offset);
    }
    const address = view.getBigUint64(at);
    const size = view.getBigUint64(at + 8);
    if (address === 0n && size === 0n) return reservations;
    reservations.push({ address, size });
  }
}

/** Resolves name offsets against the strings block, decoding each distinct offset once. */
class PropertyNames {
  readonly #cache = new Map<number, string>();

  constructor(
    private readonly data: Uint8Array,
    private readonly start: number,
    private readonly size: number,
  ) {}

  at(nameOffset: number, tokenOffset: number): string {
    const cached = this.#cache.get(nameOffset);
    if (cached !== undefined) return cached;
    if (nameOffset >= this.size) {
      throw new FdtError('bad-string-offset', `property name offset ${nameOffset} is outside the ${this.size}-byte strings block`, tokenOffset);
    }
    const from = this.start + nameOffset;
    const limit = Math.min(this.start + this.size, from + MAX_PROPERTY_NAME_LENGTH + 1);
    const length = this.data.subarray(from, limit).indexOf(0);
    if (length < 0) {
      const why = limit === this.start + this.size ? 'runs past the end of the strings block' : `is longer than ${MAX_PROPERTY_NAME_LENGTH} bytes`;
      throw new FdtError('unterminated-string', `property name at strings offset ${nameOffset} ${why}`, tokenOffset);
    }
    const name = decodeText(this.data.subarray(from, from + length));
    this.#cache.set(nameOffset, name);
    return name;
  }
}

interface OpenNode {
  readonly name: string;
  readonly properties: FdtProperty[];
  readonly children: FdtNode[];
}

function readStructure(data: Uint8Array, view: DataView, start: number, end: number, names: PropertyNames): FdtNode {
  const open: OpenNode[] = [];
  let root: OpenNode | undefined;
  let at = start;
  for (;;) {
    if (at + 4 > end) throw new FdtError('truncated', 'structure block ends before FDT_END', at);
    const tokenAt = at;
    const token = view.getUint32(at);
    at += 4;
    switch (token) {
      case FDT_BEGIN_NODE: {
        if (root && open.length === 0) throw new FdtError('bad-nesting', 'a second top-level node follows the root', tokenAt);
        if (open.length >= MAX_NODE_DEPTH) throw new FdtError('bad-nesting', `nodes nested deeper than ${MAX_NODE_DEPTH}`, tokenAt);
        const length = data.subarray(at, end).indexOf(0);
        if (length < 0) throw new FdtError('unterminated-string', 'node name runs past the end of the structure block', tokenAt);
        const node: OpenNode = { name: decodeText(data.subarray(at, at + length)), properties: [], children: [] };
        at = align4(at + length + 1);
        const parent = open[open.length - 1];
        if (parent) parent.children.push(node);
        else root = node;
        open.push(node);
        break;
      }
      case FDT_END_NODE:
        if (open.pop() === undefined) throw new FdtError('bad-nesting', 'FDT_END_NODE without an open node', tokenAt);
        break;
      case FDT_PROP: {
        const node = open[open.length - 1];
        if (!node) throw new FdtError('bad-nesting', 'property outside any node', tokenAt);
        if (node.children.length > 0) throw new FdtError('bad-nesting', `property after a subnode in node "${node.name}"`, tokenAt);
        if (at + 8 > end) throw new FdtError('truncated', 'property header runs past the structure block', tokenAt);
        const length = view.getUint32(at);
        const name = names.at(view.getUint32(at + 4), tokenAt);
        at += 8;
        if (length > end - at) throw new FdtError('truncated', `property "${name}" value (${length} bytes) runs past the structure block`, tokenAt);
        node.properties.push({ name, value: data.slice(at, at + length) });
        at = align4(at + length);
        break;
      }
      case FDT_NOP:
        break;
      case FDT_END:
        if (open.length > 0) throw new FdtError('bad-nesting', `FDT_END while node "${open[open.length - 1]!.name}" is open`, tokenAt);
        if (!root) throw new FdtError('bad-nesting', 'structure block has no root node', tokenAt);
        return root;
      default:
        throw new FdtError('bad-token', `unknown structure token 0x${token.toString(16)}`, tokenAt);
    }
  }
}
