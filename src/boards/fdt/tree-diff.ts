/**
 * Structural comparison of two trees: node order, property order and values.
 * Returns readable differences (empty when equal) so a failing test can show
 * exactly where two blobs part ways.
 */
import { formatValue } from './dts-printer.js';
import type { FdtNode, FdtTree } from './tree.js';

export interface TreeDiffOptions {
  /** Properties to leave out of the comparison on both sides (e.g. /chosen/rng-seed). */
  readonly ignoreProperty?: (nodePath: string, propertyName: string) => boolean;
  /** Stop after this many differences; 50 when absent. */
  readonly limit?: number;
}

export function diffFdtTrees(expected: FdtTree, actual: FdtTree, options: TreeDiffOptions = {}): string[] {
  const differences: string[] = [];
  const limit = options.limit ?? 50;
  const report = (text: string): boolean => {
    if (differences.length < limit) differences.push(text);
    return differences.length < limit;
  };
  if (expected.bootCpuidPhys !== actual.bootCpuidPhys) {
    report(`boot_cpuid_phys: expected ${expected.bootCpuidPhys}, got ${actual.bootCpuidPhys}`);
  }
  const reservations = (tree: FdtTree): string => tree.reservations.map((r) => `0x${r.address.toString(16)}+0x${r.size.toString(16)}`).join(', ');
  if (reservations(expected) !== reservations(actual)) {
    report(`reservations: expected [${reservations(expected)}], got [${reservations(actual)}]`);
  }
  diffNodes('/', expected.root, actual.root, options.ignoreProperty ?? (() => false), report);
  return differences;
}

function diffNodes(
  path: string,
  expected: FdtNode,
  actual: FdtNode,
  ignore: (nodePath: string, propertyName: string) => boolean,
  report: (text: string) => boolean,
): boolean {
  const kept = (node: FdtNode) => node.properties.filter((property) => !ignore(path, property.name));
  const expectedProperties = kept(expected);
  const actualProperties = kept(actual);
  const expectedNames = expectedProperties.map((p) => p.name).join(', ');
  const actualNames = actualProperties.map((p) => p.name).join(', ');
  if (expectedNames !== actualNames) {
    if (!report(`${path}: properties differ\n  expected: ${expectedNames}\n  got:      ${actualNames}`)) return false;
  } else {
    for (let i = 0; i < expectedProperties.length; i++) {
      const want = expectedProperties[i]!;
      const got = actualProperties[i]!;
      if (!sameBytes(want.value, got.value)) {
        const text = `${path}: property ${want.name}\n  expected: ${formatValue(want.value) ?? '(empty)'}\n  got:      ${formatValue(got.value) ?? '(empty)'}`;
        if (!report(text)) return false;
      }
    }
  }
  const expectedChildren = expected.children.map((c) => c.name).join(', ');
  const actualChildren = actual.children.map((c) => c.name).join(', ');
  if (expectedChildren !== actualChildren) {
    return report(`${path}: subnodes differ\n  expected: ${expectedChildren}\n  got:      ${actualChildren}`);
  }
  for (let i = 0; i < expected.children.length; i++) {
    const child = expected.children[i]!;
    const childPath = path === '/' ? `/${child.name}` : `${path}/${child.name}`;
    if (!diffNodes(childPath, child, actual.children[i]!, ignore, report)) return false;
  }
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
