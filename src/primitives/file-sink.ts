import { type FileHandle, open } from "node:fs/promises";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";

export interface FileSinkOptions {
  /** Buffered bytes before write() asks the producer to wait. */
  highWaterMark: number;
  /** Start writing the file back to disk each time this many more bytes are written. */
  flushEveryBytes: number;
  /** Called after each write with the number of bytes now in the file. */
  onWritten?: (sizeBytes: number) => void;
}

/**
 * A stream onto a new file (created, never replaced) that ends with the file on disk: `close()`
 * fsyncs before it resolves. A large file is written back as it grows (a background fdatasync every
 * `flushEveryBytes`), so the final fsync waits for the last stretch only, not for the whole file:
 * the disk works while the producer does, instead of after it.
 */
export class FileSink extends Writable {
  private position = 0;
  private flushedTo = 0;
  private flushing: Promise<void> | null = null;
  private flushError: unknown = null;
  private flushes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly options: FileSinkOptions,
  ) {
    super({ highWaterMark: options.highWaterMark });
  }

  /** Creates `path` (it must not exist) with mode 0644 before the umask. */
  static async create(path: string, options: FileSinkOptions): Promise<FileSink> {
    return new FileSink(await open(path, "wx", 0o644), options);
  }

  get sizeBytes(): number {
    return this.position;
  }

  /** How many background flushes were started (the final fsync not counted). */
  get flushesStarted(): number {
    return this.flushes;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll([chunk]).then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeAll(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void (this.flushing ?? Promise.resolve())
      .then(() => this.handle.close())
      .then(
        () => callback(error),
        () => callback(error),
      );
  }

  /** Ends the stream: resolves once every byte is written and the file fsynced and closed; rejects on the first error. */
  async close(): Promise<void> {
    this.end();
    await finished(this);
  }

  // Runs after the last write, before "finish": the file is on disk before anyone hears it is whole.
  override _final(callback: (error?: Error | null) => void): void {
    (this.flushing ?? Promise.resolve())
      .then(() => {
        if (this.flushError !== null) throw this.flushError;
        return this.handle.sync();
      })
      .then(() => callback(), callback);
  }

  private async writeAll(buffers: Buffer[]): Promise<void> {
    if (this.flushError !== null) throw this.flushError;
    let pending = buffers.filter((b) => b.length > 0); // an empty file's content writes nothing
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending, this.position);
      if (bytesWritten === 0) throw new Error("the file took no bytes (a write of 0)");
      this.position += bytesWritten;
      pending = dropBytes(pending, bytesWritten);
    }
    this.options.onWritten?.(this.position);
    if (this.flushing === null && this.position - this.flushedTo >= this.options.flushEveryBytes) this.startFlush();
  }

  private startFlush(): void {
    const upTo = this.position;
    this.flushes++;
    this.flushing = this.handle.datasync().then(
      () => {
        this.flushedTo = upTo;
        this.flushing = null;
      },
      (error: unknown) => {
        this.flushError = error;
        this.flushing = null;
      },
    );
  }
}

/** What is left of `buffers` once their first `count` bytes are written. */
function dropBytes(buffers: readonly Buffer[], count: number): Buffer[] {
  let left = count;
  const rest: Buffer[] = [];
  for (const b of buffers) {
    if (left >= b.length) left -= b.length;
    else {
      rest.push(left > 0 ? b.subarray(left) : b);
      left = 0;
    }
  }
  return rest;
}
