/**
 * Renders a tree as dts-like text for diagnostics and test failure messages.
 * Values are shown the way dtc would guess them: strings when every byte is
 * printable text, cells when the length is a multiple of 4, bytes otherwise.
 */
import type { FdtNode, FdtTree } from './tree.js';

export function formatDts(tree: FdtTree): string {
  const lines = ['/dts-v1/;', ''];
  for (const { address, size } of tree.reservations) lines.push(`/memreserve/ 0x${address.toString(16)} 0x${size.toString(16)};`);
  if (tree.reservations.length > 0) lines.push('');
  formatNode(tree.root, 0, lines, true);
  return `${lines.join('\n')}\n`;
}

function formatNode(node: FdtNode, depth: number, lines: string[], isRoot: boolean): void {
  const indent = '\t'.repeat(depth);
  lines.push(`${indent}${isRoot ? '/' : node.name} {`);
  for (const property of node.properties) {
    const value = formatValue(property.value);
    lines.push(`${indent}\t${property.name}${value === undefined ? '' : ` = ${value}`};`);
  }
  for (const child of node.children) {
    lines.push('');
    formatNode(child, depth + 1, lines, false);
  }
  lines.push(`${indent}};`);
}

export function formatValue(value: Uint8Array): string | undefined {
  if (value.length === 0) return undefined;
  const strings = asStrings(value);
  if (strings) return strings.map((s) => JSON.stringify(s)).join(', ');
  if (value.length % 4 === 0) {
    const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
    const cells: string[] = [];
    for (let at = 0; at < value.length; at += 4) cells.push(`0x${view.getUint32(at).toString(16).padStart(2, '0')}`);
    return `<${cells.join(' ')}>`;
  }
  return `[${Array.from(value, (byte) => byte.toString(16).padStart(2, '0')).join(' ')}]`;
}

function asStrings(value: Uint8Array): string[] | undefined {
  if (value[value.length - 1] !== 0) return undefined;
  const strings: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const byte = value[i]!;
    if (byte === 0) {
      if (current === '') return undefined;
      strings.push(current);
      current = '';
    } else if (byte >= 0x20 && byte < 0x7f) {
      current += String.fromCharCode(byte);
    } else {
      return undefined;
    }
  }
  return strings;
}
