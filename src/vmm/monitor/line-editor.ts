/**
 * Local line editing for monitor input that arrives a byte at a time (a terminal in raw
 * mode, a pipe, a socket): printable text is kept and echoed, Backspace/Delete erase a
 * character, Ctrl-U the whole line, Enter (CR, LF or CR LF) ends it. Cursor keys and other
 * escape sequences are swallowed rather than typed into the command. Tab is a blank (there is
 * no completion).
 */

export interface EditResult {
  /** What to echo, as bytes in a latin1 string ('' without echo). */
  readonly echo: string;
  /** A finished line (UTF-8 decoded), if this byte ended one. */
  readonly line?: string;
}

/** QEMU's readline keeps at most this many bytes of a line; the rest is ignored. */
const MAX_LINE = 4095;
const ERASE = '\b \b';
const NOTHING: EditResult = { echo: '' };

export class LineEditor {
  private bytes: number[] = [];
  private afterCr = false;
  /** 0: text; 1: after ESC; 2: inside a CSI/SS3 sequence. */
  private escape: 0 | 1 | 2 = 0;

  constructor(private readonly echo: boolean) {}

  /** Forgets a half-typed line (the monitor lost the focus). */
  reset(): void {
    this.bytes = [];
    this.escape = 0;
    this.afterCr = false;
  }

  push(b: number): EditResult {
    const afterCr = this.afterCr;
    this.afterCr = false;
    if (this.escape === 1) {
      this.escape = b === 0x5b /* [ */ || b === 0x4f /* O */ ? 2 : 0;
      return NOTHING;
    }
    if (this.escape === 2) {
      if (b >= 0x40 && b <= 0x7e) this.escape = 0;
      return NOTHING;
    }
    switch (b) {
      case 0x0d:
      case 0x0a: {
        if (b === 0x0a && afterCr) return NOTHING;
        this.afterCr = b === 0x0d;
        const line = Buffer.from(this.bytes).toString('utf8');
        this.bytes = [];
        return { echo: this.show('\r\n'), line };
      }
      case 0x08:
      case 0x7f:
        return { echo: this.show(this.eraseChar() ? ERASE : '') };
      case 0x15: {
        let n = 0;
        while (this.eraseChar()) n++;
        return { echo: this.show(ERASE.repeat(n)) };
      }
      case 0x1b:
        this.escape = 1;
        return NOTHING;
      case 0x09:
        return this.insert(0x20);
      default:
        return b < 0x20 ? NOTHING : this.insert(b);
    }
  }

  private insert(b: number): EditResult {
    if (this.bytes.length >= MAX_LINE) return NOTHING;
    this.bytes.push(b);
    return { echo: this.show(String.fromCharCode(b)) };
  }

  /** Removes the last character (all bytes of a UTF-8 sequence); false when the line is empty. */
  private eraseChar(): boolean {
    if (this.bytes.length === 0) return false;
    while (this.bytes.length > 1 && (this.bytes[this.bytes.length - 1]! & 0xc0) === 0x80) this.bytes.pop();
    this.bytes.pop();
    return true;
  }

  private show(text: string): string {
    return this.echo ? text : '';
  }
}
