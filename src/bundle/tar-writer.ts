import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough, type Readable, type Writable } from "node:stream";

/** A member of an archive: bytes in memory, a file or stream of known size, a folder, or a symbolic link. */
export type TarSource =
  | { kind: "data"; data: Uint8Array }
  | { kind: "file"; path: string; sizeBytes: number; expectSha256?: string }
  | { kind: "stream"; stream: Readable; sizeBytes: number }
  | { kind: "dir" }
  | { kind: "symlink"; target: string };

export interface TarEntry {
  name: string;
  source: TarSource;
  /** Only the 0o111 bits are kept: a member is 0644 or 0755. */
  mode: number;
}

export class MemberChangedError extends Error {
  constructor(
    readonly member: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${member} changed: sha256 ${actual}, recorded ${expected}`);
  }
}

const BLOCK = 512;
const USTAR_MAX_SIZE = 8 ** 11 - 1; // 11 octal digits
// Files below this size are read in one call: a read stream's set-up costs more than such a file's bytes.
const SMALL_FILE_BYTES = 1 << 20;
// How many entries addAll() reads ahead (small files only: at most this many MiB held).
const READ_AHEAD = 16;

/**
 * A deterministic ustar writer: every header has the same fixed mtime, uid/gid 0, empty user and
 * group names and a normalised mode, so the same members give the same bytes on any host and day.
 * Long names and sizes over 8 GiB go into pax headers. Files are streamed (memory stays flat) and
 * hashed on the way; a file whose bytes differ from `expectSha256` aborts with MemberChangedError.
 * Entries are written in the order given: the caller sorts them.
 */
export class TarWriter {
  private written = 0;

  constructor(
    private readonly out: Writable,
    private readonly mtimeSeconds: number,
    private readonly onProgress: (bytes: number) => void = () => undefined,
    /** false: add() returns "" and spends no time hashing (a file with expectSha256 is still checked). */
    private readonly hashMembers = true,
  ) {}

  get bytesWritten(): number {
    return this.written;
  }

  /** Writes one member and returns the sha256 of its content ("" when the writer does not hash). */
  add(entry: TarEntry): Promise<string> {
    return this.addEntry(entry, null);
  }

  /**
   * Writes every entry in order, as add() would, and returns their sha256s. Small files are read up to
   * READ_AHEAD entries ahead, so that a tree of many small files (node_modules) does not wait on one
   * open and read after another.
   */
  async addAll(entries: readonly TarEntry[]): Promise<string[]> {
    const reads = new Map<number, Promise<Buffer>>();
    let next = 0;
    const shas: string[] = [];
    for (const [i, entry] of entries.entries()) {
      for (; next < entries.length && next <= i + READ_AHEAD; next++) {
        const ahead = entries[next];
        if (ahead?.source.kind !== "file" || ahead.source.sizeBytes >= SMALL_FILE_BYTES) continue;
        const read = readSmallFile(ahead.name, ahead.source.path, ahead.source.sizeBytes);
        read.catch(() => undefined); // awaited in its turn; an error must not surface before then
        reads.set(next, read);
      }
      shas.push(await this.addEntry(entry, reads.get(i) ?? null));
      reads.delete(i);
    }
    return shas;
  }

  private async addEntry(entry: TarEntry, read: Promise<Buffer> | null): Promise<string> {
    const { source } = entry;
    const size =
      source.kind === "data" ? source.data.byteLength : source.kind === "file" || source.kind === "stream" ? source.sizeBytes : 0;
    const linkname = source.kind === "symlink" ? source.target : "";
    const type = source.kind === "symlink" ? "2" : source.kind === "dir" ? "5" : "0";
    await this.writeHeaders(entry.name, size, entry.mode & 0o111 || source.kind === "dir" ? 0o755 : 0o644, type, linkname);
    if (source.kind === "symlink") return createHash("sha256").update(source.target).digest("hex");
    if (source.kind === "dir") return createHash("sha256").digest("hex");
    // A file checked against its recorded sha256 is hashed whatever the writer was asked.
    const hash = this.hashMembers || (source.kind === "file" && source.expectSha256) ? createHash("sha256") : null;
    if (source.kind === "data") {
      hash?.update(source.data);
      await this.write(source.data);
    } else if (source.kind === "file" && size < SMALL_FILE_BYTES) {
      const data = await (read ?? readSmallFile(entry.name, source.path, size));
      hash?.update(data);
      await this.write(data);
    } else {
      let seen = 0;
      // 1 MiB reads: with the default 64 KiB, per-chunk overhead halved pack's throughput.
      const input = source.kind === "file" ? createReadStream(source.path, { highWaterMark: 1 << 20 }) : source.stream;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > size) throw new MemberChangedError(entry.name, `${size} bytes`, `more than ${size} bytes`);
        hash?.update(chunk);
        await this.write(chunk);
      }
      if (seen !== size) throw new MemberChangedError(entry.name, `${size} bytes`, `${seen} bytes`);
    }
    await this.pad(size);
    const digest = hash?.digest("hex") ?? "";
    if (source.kind === "file" && source.expectSha256 && source.expectSha256 !== digest) {
      throw new MemberChangedError(entry.name, source.expectSha256, digest);
    }
    return digest;
  }

  /** The end-of-archive marker: two zero blocks. */
  async finish(): Promise<void> {
    await this.write(Buffer.alloc(BLOCK * 2));
  }

  private async writeHeaders(name: string, size: number, mode: number, type: string, linkname: string): Promise<void> {
    const pax: Record<string, string> = {};
    if (Buffer.byteLength(name) > 100) pax["path"] = name;
    if (Buffer.byteLength(linkname) > 100) pax["linkpath"] = linkname;
    if (size > USTAR_MAX_SIZE) pax["size"] = String(size);
    if (Object.keys(pax).length > 0) {
      const body = Buffer.from(
        Object.entries(pax)
          .map(([k, v]) => paxRecord(k, v))
          .join(""),
      );
      await this.write(header(`PaxHeaders/${shortName(name)}`, body.length, 0o644, "x", "", this.mtimeSeconds));
      await this.write(body);
      await this.pad(body.length);
    }
    await this.write(header(shortName(name), size > USTAR_MAX_SIZE ? 0 : size, mode, type, shortName(linkname), this.mtimeSeconds));
  }

  private async pad(size: number): Promise<void> {
    const rest = size % BLOCK;
    if (rest) await this.write(Buffer.alloc(BLOCK - rest));
  }

  private write(chunk: Uint8Array): Promise<void> {
    this.written += chunk.byteLength;
    this.onProgress(this.written);
    if (this.out.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.out.off("drain", onDrain);
        reject(error);
      };
      const onDrain = (): void => {
        this.out.off("error", onError);
        resolve();
      };
      this.out.once("drain", onDrain);
      this.out.once("error", onError);
    });
  }
}

/** A file of `size` bytes (under SMALL_FILE_BYTES), read whole: one byte more is asked for, to see that it has not grown. */
async function readSmallFile(name: string, path: string, size: number): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const data = Buffer.allocUnsafe(size + 1);
    let seen = 0;
    for (;;) {
      const asked = data.length - seen;
      const { bytesRead } = await handle.read(data, seen, asked, seen);
      seen += bytesRead;
      if (seen > size) throw new MemberChangedError(name, `${size} bytes`, `more than ${size} bytes`);
      // A regular file reads short only at its end.
      if (bytesRead < asked) break;
    }
    if (seen !== size) throw new MemberChangedError(name, `${size} bytes`, `${seen} bytes`);
    return data.subarray(0, size);
  } finally {
    await handle.close();
  }
}

/** "len key=value\n", where len counts the whole record, itself included. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(rest) + 1;
  while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
  return `${len}${rest}`;
}

/** The last 100 bytes' worth of a name for the ustar field (the pax header carries the whole). */
function shortName(name: string): string {
  let short = name;
  while (Buffer.byteLength(short) > 100) short = short.slice(1);
  return short;
}

function header(name: string, size: number, mode: number, type: string, linkname: string, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.fill(" ", 148, 156); // checksum is computed with its own field as spaces
  h.write(type, 156, 1, "ascii");
  h.write(linkname, 157, 100, "utf8");
  h.write("ustar\u000000", 257, 8, "ascii"); // magic + version: POSIX ustar
  // uname, gname (265, 297): empty; devmajor, devminor: zero
  octal(h, 329, 8, 0);
  octal(h, 337, 8, 0);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(sum.toString(8).padStart(6, "0") + "\u0000 ", 148, 8, "ascii");
  return h;
}

function octal(h: Buffer, offset: number, length: number, value: number): void {
  h.write(value.toString(8).padStart(length - 1, "0") + "\u0000", offset, length, "ascii");
}

/** Entries in byte order of their names: the one order every archive mlx writes uses. */
export function sortEntries(entries: TarEntry[]): TarEntry[] {
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The entries as a tar stream, written as the reader (a Docker build, say) consumes it. */
export function tarStreamOf(entries: readonly TarEntry[], mtimeSeconds: number): PassThrough {
  const stream = new PassThrough();
  // A builder needs the bytes only: no member's sha256 is computed.
  const writer = new TarWriter(stream, mtimeSeconds, undefined, false);
  void (async () => {
    await writer.addAll(entries);
    await writer.finish();
    stream.end();
  })().catch((error: unknown) => stream.destroy(error as Error));
  return stream;
}
