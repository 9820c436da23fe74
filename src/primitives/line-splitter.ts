import { StringDecoder } from "node:string_decoder";

export interface LineSplitterOptions {
  /** Longest line kept whole (default 1 Mi characters). */
  maxLineChars?: number;
  /** Told once per line that went over the cap. */
  onOverlong?: () => void;
  /**
   * For echoing output as it is: break at \n only (a \r stays in its line), pass empty lines on,
   * and cut an overlong line into pieces instead of dropping it. Off (the default) suits parsers.
   */
  verbatim?: boolean;
}

/**
 * Splits a byte stream into text lines, decoding UTF-8 across chunk boundaries (a character cut
 * in two by a pipe stays one character). By default it breaks at \n, \r\n and \r (progress bars
 * redraw with \r), skips empty lines, and drops a line longer than the cap rather than buffer it
 * without end: its tail is skipped up to the next line break and `onOverlong` is told.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private readonly maxLineChars: number;
  private readonly onOverlong: () => void;
  private readonly verbatim: boolean;
  private pending = "";
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    options: LineSplitterOptions = {},
  ) {
    this.maxLineChars = options.maxLineChars ?? 1024 * 1024;
    this.onOverlong = options.onOverlong ?? (() => undefined);
    this.verbatim = options.verbatim ?? false;
  }

  push(chunk: Uint8Array): void {
    this.consume(this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
  }

  end(): void {
    this.consume(this.decoder.end());
    if (this.pending && !this.skipping) this.onLine(this.pending);
    this.pending = "";
    this.skipping = false;
  }

  private consume(text: string): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && (c !== 13 || this.verbatim)) continue;
      this.emit(text.slice(start, i));
      start = i + 1;
    }
    const rest = text.slice(start);
    if (this.skipping) return;
    this.pending += rest;
    if (this.pending.length <= this.maxLineChars) return;
    this.onOverlong();
    if (this.verbatim) {
      this.onLine(this.pending); // cut, never lost
    } else {
      this.skipping = true;
    }
    this.pending = "";
  }

  private emit(tail: string): void {
    if (this.skipping) {
      this.skipping = false;
      this.pending = "";
      return;
    }
    const line = this.pending + tail;
    this.pending = "";
    if (line.length > this.maxLineChars && !this.verbatim) this.onOverlong();
    else if (line.length > 0 || this.verbatim) this.onLine(line);
  }
}
