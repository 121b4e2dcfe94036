export { FdtBuilder, FdtNodeBuilder, type FdtBlobOptions, type FdtBuilderOptions, type NodePlacement } from './builder.js';
export { formatDts, formatValue } from './dts-printer.js';
export { FdtError, type FdtErrorCode } from './fdt-error.js';
export { MAX_NODE_DEPTH, MAX_PROPERTY_NAME_LENGTH, parseFdt } from './parser.js';
export { findNode, findProperty, readCells, readString, readStrings, readU32, readU64 } from './query.js';
export { diffFdtTrees, type TreeDiffOptions } from './tree-diff.js';
export type { FdtHeader, FdtNode, FdtProperty, FdtReservation, FdtTree, ParsedFdt } from './tree.js';
