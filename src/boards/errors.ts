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
