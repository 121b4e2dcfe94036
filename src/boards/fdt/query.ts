/**
 * Lookups on a parsed or built tree. Missing things give `undefined`; a
 * property that exists but has the wrong shape throws FdtError('bad-property-value').
 */
import { FdtError } from './fdt-error.js';
import { decodeCells, decodeString, decodeStrings, decodeU32, decodeU64 } from './property-values.js';
import type { FdtNode, FdtProperty } from './tree.js';

/**
 * Resolves an absolute path ("/soc@fe0000000/serial@4500"). As in libfdt, a
 * component without a unit address ("serial") also matches the first child
 * whose name is that component followed by "@...".
 */
export function findNode(root: FdtNode, path: string): FdtNode | undefined {
  if (!path.startsWith('/')) throw new FdtError('invalid-name', `path ${JSON.stringify(path)} is not absolute`);
  let node: FdtNode | undefined = root;
  for (const part of path.split('/')) {
    if (part === '' || node === undefined) continue;
    node = findChild(node, part);
  }
  return node;
}

function findChild(node: FdtNode, name: string): FdtNode | undefined {
  const exact = node.children.find((child) => child.name === name);
  if (exact || name.includes('@')) return exact;
  return node.children.find((child) => child.name.startsWith(`${name}@`));
}

export function findProperty(node: FdtNode, name: string): FdtProperty | undefined {
  return node.properties.find((property) => property.name === name);
}

function read<T>(node: FdtNode, name: string, decode: (name: string, value: Uint8Array) => T): T | undefined {
  const property = findProperty(node, name);
  return property && decode(name, property.value);
}

export function readU32(node: FdtNode, name: string): number | undefined {
  return read(node, name, decodeU32);
}

export function readU64(node: FdtNode, name: string): bigint | undefined {
  return read(node, name, decodeU64);
}

export function readCells(node: FdtNode, name: string): number[] | undefined {
  return read(node, name, decodeCells);
}

export function readString(node: FdtNode, name: string): string | undefined {
  return read(node, name, decodeString);
}

export function readStrings(node: FdtNode, name: string): string[] | undefined {
  return read(node, name, decodeStrings);
}
