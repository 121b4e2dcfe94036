/**
 * `info mtree`: the guest-physical address map as a tree in QEMU's layout
 * (`<indent>START-END (prio P, KIND): NAME`, 16 hex digits, two blanks per level), under
 * one `address-space: memory` with the `system` root. A region sits inside the smallest
 * region that contains it (the board adds containers such as CCSR for that); siblings are
 * listed by address, higher priority first. QEMU's other address spaces (I/O, PCI bus
 * master) and its alias notation have no counterpart in ngkvm's map and are not shown.
 */

export interface MtreeRegion {
  readonly name: string;
  readonly base: bigint;
  readonly size: bigint;
  /** QEMU's region kinds: RAM, ROM, or device (`i/o`). */
  readonly kind: 'ram' | 'rom' | 'i/o';
  readonly priority: number;
}

interface Node {
  readonly region: MtreeRegion;
  readonly children: Node[];
}

const contains = (outer: MtreeRegion, inner: MtreeRegion): boolean =>
  outer.base <= inner.base && inner.base + inner.size <= outer.base + outer.size && outer.size > inner.size;

export function formatMtree(regions: readonly MtreeRegion[]): string {
  const root: Node = { region: { name: 'system', base: 0n, size: 1n << 64n, kind: 'i/o', priority: 0 }, children: [] };
  // Largest first, so every container is placed before what it contains.
  const sorted = [...regions].sort((a, b) => (a.size === b.size ? 0 : a.size > b.size ? -1 : 1));
  for (const region of sorted) {
    let parent = root;
    for (;;) {
      const inner = parent.children.find((c) => contains(c.region, region));
      if (inner === undefined) break;
      parent = inner;
    }
    parent.children.push({ region, children: [] });
  }
  const line = (n: Node, depth: number): string => {
    const r = n.region;
    const end = r.base + r.size - 1n;
    let out = `${'  '.repeat(depth)}${r.base.toString(16).padStart(16, '0')}-${end.toString(16).padStart(16, '0')} (prio ${r.priority}, ${r.kind}): ${r.name}\n`;
    const kids = [...n.children].sort((a, b) =>
      a.region.base === b.region.base ? b.region.priority - a.region.priority : a.region.base < b.region.base ? -1 : 1,
    );
    for (const k of kids) out += line(k, depth + 1);
    return out;
  };
  return `address-space: memory\n${line(root, 1)}\n`;
}
