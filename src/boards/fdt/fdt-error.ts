/**
 * Every failure of the FDT library is reported as an FdtError so callers can
 * handle a hostile or corrupt blob with a single `instanceof` check.
 */
export type FdtErrorCode =
  /** The blob ends before the header, a block or a token that it announces. */
  | 'truncated'
  | 'bad-magic'
  /** Version older than 16 or last compatible version newer than 17. */
  | 'unsupported-version'
  /** A header offset/size points outside the blob or is misaligned. */
  | 'bad-offset'
  /** The memory reservation map has no terminating entry. */
  | 'bad-reservation-map'
  /** A node name or property name has no NUL inside its block. */
  | 'unterminated-string'
  /** A property's name offset lies outside the strings block. */
  | 'bad-string-offset'
  /** An unknown structure token. */
  | 'bad-token'
  /** Begin/end node tokens do not pair up, or tokens appear where they may not. */
  | 'bad-nesting'
  /** A property value does not have the shape the caller asked for. */
  | 'bad-property-value'
  /** Builder: a node or property name that cannot be encoded. */
  | 'invalid-name'
  /** Builder: a value that cannot be encoded (range, NUL inside a string...). */
  | 'invalid-value'
  /** Builder: two children of one node with the same name. */
  | 'duplicate-node'
  /** Builder: the tree does not fit in the requested totalsize. */
  | 'size-exceeded';

export class FdtError extends Error {
  override readonly name = 'FdtError';

  constructor(
    readonly code: FdtErrorCode,
    message: string,
    /** Byte offset in the blob the problem was found at, when there is one. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? message : `${message} (at byte 0x${offset.toString(16)})`);
  }
}
