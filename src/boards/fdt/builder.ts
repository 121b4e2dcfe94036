/**
 * Builds a device tree in memory and serialises it to a DTB blob.
 *
 *   const fdt = new FdtBuilder();
 *   const soc = fdt.root.addNode('soc@fe0000000').setU32('#address-cells', 1);
 *   const pic = soc.addNode('pic@40000').setEmpty('interrupt-controller');
 *   const picHandle = pic.assignPhandle();
 *   const blob = fdt.toBlob({ totalSize: 0x10_0000 });
 *
 * Names go into the strings block when a property is first created, so the
 * creation order (not the final tree order) decides string offsets.
 */
import { writeBlob, type WritableNode } from './blob-writer.js';
import { FdtError } from './fdt-error.js';
import { encodeCells, encodeStrings, encodeText, encodeU64s } from './property-values.js';
import { StringTable } from './string-table.js';
import type { FdtNode, FdtReservation, FdtTree } from './tree.js';

/**
 * Where a newly created node or property goes among its siblings.
 * - 'append': after them, so the tree reads in creation order.
 * - 'prepend': libfdt's read-write behaviour (and thus QEMU's): a new property
 *   becomes the first of its node, a new subnode the first subnode. Code that
 *   mirrors QEMU's creation sequence uses this to get QEMU's exact tree.
 */
export type NodePlacement = 'append' | 'prepend';

export interface FdtBuilderOptions {
  readonly placement?: NodePlacement;
  /** First value allocatePhandle() hands out; 1 when absent. */
  readonly firstPhandle?: number;
}

export interface FdtBlobOptions {
  /** Pad the blob with zeros to exactly this many bytes (QEMU uses 0x100000). */
  readonly totalSize?: number;
}

const MAX_PHANDLE = 0xffff_fffe;

/** @internal State shared by all nodes of one builder. */
export interface BuilderContext {
  readonly placement: NodePlacement;
  readonly strings: StringTable;
  allocatePhandle(): number;
}

interface BuiltProperty {
  readonly name: string;
  readonly nameOffset: number;
  value: Uint8Array;
}

export class FdtNodeBuilder {
  readonly #context: BuilderContext;
  readonly #properties: BuiltProperty[] = [];
  readonly #children: FdtNodeBuilder[] = [];

  /** @internal Nodes are created through FdtBuilder.root and addNode(). */
  constructor(
    readonly name: string,
    context: BuilderContext,
  ) {
    this.#context = context;
  }

  addNode(name: string): FdtNodeBuilder {
    if (name.length === 0 || name.includes('/')) {
      throw new FdtError('invalid-name', `node name ${JSON.stringify(name)} is empty or contains '/'`);
    }
    encodeText(name, 'node name');
    if (this.child(name)) {
      throw new FdtError('duplicate-node', `node "${this.name}" already has a child "${name}"`);
    }
    const node = new FdtNodeBuilder(name, this.#context);
    this.#insert(this.#children, node);
    return node;
  }

  child(name: string): FdtNodeBuilder | undefined {
    return this.#children.find((child) => child.name === name);
  }

  setEmpty(name: string): this {
    return this.setBytes(name, new Uint8Array(0));
  }

  setU32(name: string, value: number): this {
    return this.#set(name, encodeCells([value]));
  }

  setCells(name: string, cells: readonly number[]): this {
    return this.#set(name, encodeCells(cells));
  }

  setU64(name: string, value: number | bigint): this {
    return this.#set(name, encodeU64s([value]));
  }

  setU64s(name: string, values: readonly (number | bigint)[]): this {
    return this.#set(name, encodeU64s(values));
  }

  setString(name: string, value: string): this {
    return this.#set(name, encodeStrings([value]));
  }

  setStrings(name: string, values: readonly string[]): this {
    return this.#set(name, encodeStrings(values));
  }

  setBytes(name: string, value: Uint8Array): this {
    return this.#set(name, value.slice());
  }

  /**
   * Allocates the next phandle and stores it in `phandle` and, for consumers
   * that predate that name, also in `linux,phandle` (created in that order).
   */
  assignPhandle(options: { readonly linuxPhandle?: boolean } = {}): number {
    const handle = this.#context.allocatePhandle();
    this.setU32('phandle', handle);
    if (options.linuxPhandle) this.setU32('linux,phandle', handle);
    return handle;
  }

  /** @internal */
  snapshot(): FdtNode {
    return {
      name: this.name,
      properties: this.#properties.map(({ name, value }) => ({ name, value: value.slice() })),
      children: this.#children.map((child) => child.snapshot()),
    };
  }

  /** @internal */
  writable(): WritableNode {
    return {
      name: this.name,
      properties: this.#properties,
      children: this.#children.map((child) => child.writable()),
    };
  }

  /** @internal Adds a property even if one of that name exists (only fromTree needs this). */
  appendVerbatim(name: string, value: Uint8Array): void {
    this.#properties.push({ name, nameOffset: this.#internName(name), value: value.slice() });
  }

  // Replacing keeps the property's position, as libfdt's setprop does.
  #set(name: string, value: Uint8Array): this {
    const existing = this.#properties.find((property) => property.name === name);
    if (existing) {
      existing.value = value;
    } else {
      this.#insert(this.#properties, { name, nameOffset: this.#internName(name), value });
    }
    return this;
  }

  #internName(name: string): number {
    if (name.length === 0) throw new FdtError('invalid-name', 'property names cannot be empty');
    return this.#context.strings.intern(name);
  }

  #insert<T>(list: T[], item: T): void {
    if (this.#context.placement === 'prepend') list.unshift(item);
    else list.push(item);
  }
}

export class FdtBuilder {
  readonly root: FdtNodeBuilder;
  readonly #strings = new StringTable();
  readonly #reservations: FdtReservation[] = [];
  #bootCpuidPhys = 0;
  #nextPhandle: number;

  constructor(options: FdtBuilderOptions = {}) {
    const firstPhandle = options.firstPhandle ?? 1;
    if (!Number.isInteger(firstPhandle) || firstPhandle < 1 || firstPhandle > MAX_PHANDLE) {
      throw new FdtError('invalid-value', `first phandle ${firstPhandle} is outside 1..0x${MAX_PHANDLE.toString(16)}`);
    }
    this.#nextPhandle = firstPhandle;
    this.root = new FdtNodeBuilder('', {
      placement: options.placement ?? 'append',
      strings: this.#strings,
      allocatePhandle: () => this.allocatePhandle(),
    });
  }

  /** A builder holding a copy of `tree`, in the same order; strings are stored in tree order. */
  static fromTree(tree: FdtTree): FdtBuilder {
    const builder = new FdtBuilder();
    copyInto(builder.root, tree.root);
    for (const { address, size } of tree.reservations) builder.addReservation(address, size);
    return builder.setBootCpuidPhys(tree.bootCpuidPhys);
  }

  allocatePhandle(): number {
    if (this.#nextPhandle > MAX_PHANDLE) throw new FdtError('invalid-value', 'phandles exhausted');
    return this.#nextPhandle++;
  }

  addReservation(address: number | bigint, size: number | bigint): this {
    this.#reservations.push({ address: BigInt(address), size: BigInt(size) });
    return this;
  }

  setBootCpuidPhys(cpu: number): this {
    this.#bootCpuidPhys = cpu;
    return this;
  }

  /** The node at an absolute path such as "/soc@fe0000000/pic@40000" (exact names only). */
  node(path: string): FdtNodeBuilder | undefined {
    let node: FdtNodeBuilder | undefined = this.root;
    for (const part of path.split('/').filter((p) => p !== '')) node = node?.child(part);
    return node;
  }

  toTree(): FdtTree {
    return { root: this.root.snapshot(), reservations: [...this.#reservations], bootCpuidPhys: this.#bootCpuidPhys };
  }

  toBlob(options: FdtBlobOptions = {}): Uint8Array {
    return writeBlob({
      root: this.root.writable(),
      strings: this.#strings.bytes(),
      reservations: this.#reservations,
      bootCpuidPhys: this.#bootCpuidPhys,
      ...(options.totalSize !== undefined ? { totalSize: options.totalSize } : {}),
    });
  }
}

function copyInto(target: FdtNodeBuilder, source: FdtNode): void {
  for (const property of source.properties) target.appendVerbatim(property.name, property.value);
  for (const child of source.children) copyInto(target.addNode(child.name), child);
}
