/**
 * Errors a board reports about its configuration or its guest images. They describe user
 * mistakes (wrong file, wrong size), so tools print the message without a stack trace.
 */
export type BoardErrorCode =
  | 'ERR_IMAGE_READ'
  | 'ERR_IMAGE_FORMAT'
  | 'ERR_IMAGE_ARCH'
  | 'ERR_IMAGE_PLACEMENT'
  | 'ERR_RAM_SIZE'
  | 'ERR_DISK_IMAGE'
  | 'ERR_BOARD_OPTION';

export class BoardError extends Error {
  readonly code: BoardErrorCode;

  constructor(code: BoardErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BoardError';
    this.code = code;
  }
}

/**
 * Runs an image loader on `name`'s bytes. Anything it throws that is not already a
 * BoardError (a bounds check a parser missed, a decompressor's or the FDT library's own
 * error) becomes an image-format error naming the file, with the original as its cause: a
 * malformed or hostile image is reported as a bad image, never as a stack trace.
 */
export function asImageError<T>(name: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof BoardError) throw err;
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new BoardError('ERR_IMAGE_FORMAT', `${name}: malformed image (the loader stopped with ${why})`, { cause: err });
  }
}
