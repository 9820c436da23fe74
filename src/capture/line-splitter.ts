import { StringDecoder } from "node:string_decoder";

/**
 * Splits a byte stream into text lines at \n, \r\n and \r (progress bars redraw with \r).
 * A line longer than `maxLineChars` is dropped, not buffered without end: its tail is skipped up
 * to the next line break and `onOverlong` is told once per such line.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  private skipping = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLineChars = 1024 * 1024,
    private readonly onOverlong: () => void = () => undefined,
  ) {}

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
      if (c !== 10 && c !== 13) continue;
      this.emit(text.slice(start, i));
      start = i + 1;
    }
    const rest = text.slice(start);
    if (this.skipping) return;
    this.pending += rest;
    if (this.pending.length > this.maxLineChars) {
      this.pending = "";
      this.skipping = true;
      this.onOverlong();
    }
  }

  private emit(tail: string): void {
    if (this.skipping) {
      this.skipping = false;
      this.pending = "";
      return;
    }
    const line = this.pending + tail;
    this.pending = "";
    if (line.length > this.maxLineChars) this.onOverlong();
    else if (line.length > 0) this.onLine(line);
  }
}
