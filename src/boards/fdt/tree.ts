/** Plain-data model of a device tree, shared by the builder, the parser and the helpers. */

export interface FdtProperty {
  readonly name: string;
  /** Raw big-endian value bytes exactly as stored in the blob. */
  readonly value: Uint8Array;
}

export interface FdtNode {
  /** Node name with unit address ("serial@4500"); the root is "". */
  readonly name: string;
  /** In blob order. */
  readonly properties: readonly FdtProperty[];
  /** In blob order. */
  readonly children: readonly FdtNode[];
}

export interface FdtReservation {
  readonly address: bigint;
  readonly size: bigint;
}

export interface FdtTree {
  readonly root: FdtNode;
  readonly reservations: readonly FdtReservation[];
  readonly bootCpuidPhys: number;
}

/** Header fields as found in a blob. */
export interface FdtHeader {
  readonly magic: number;
  readonly totalSize: number;
  readonly offDtStruct: number;
  readonly offDtStrings: number;
  readonly offMemRsvmap: number;
  readonly version: number;
  readonly lastCompVersion: number;
  readonly bootCpuidPhys: number;
  readonly sizeDtStrings: number;
  /** Absent in version 16 blobs. */
  readonly sizeDtStruct: number | undefined;
}

export interface ParsedFdt extends FdtTree {
  readonly header: FdtHeader;
}
