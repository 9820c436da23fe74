import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
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
  ) {}

  get bytesWritten(): number {
    return this.written;
  }

  /** Writes one member and returns the sha256 of its content. */
  async add(entry: TarEntry): Promise<string> {
    const { source } = entry;
    const size =
      source.kind === "data" ? source.data.byteLength : source.kind === "file" || source.kind === "stream" ? source.sizeBytes : 0;
    const linkname = source.kind === "symlink" ? source.target : "";
    const type = source.kind === "symlink" ? "2" : source.kind === "dir" ? "5" : "0";
    await this.writeHeaders(entry.name, size, entry.mode & 0o111 || source.kind === "dir" ? 0o755 : 0o644, type, linkname);
    if (source.kind === "symlink") return createHash("sha256").update(source.target).digest("hex");
    if (source.kind === "dir") return createHash("sha256").digest("hex");
    const hash = createHash("sha256");
    if (source.kind === "data") {
      hash.update(source.data);
      await this.write(source.data);
    } else {
      let seen = 0;
      // 1 MiB reads: with the default 64 KiB, per-chunk overhead halved pack's throughput.
      const input = source.kind === "file" ? createReadStream(source.path, { highWaterMark: 1 << 20 }) : source.stream;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > size) throw new MemberChangedError(entry.name, `${size} bytes`, `more than ${size} bytes`);
        hash.update(chunk);
        await this.write(chunk);
      }
      if (seen !== size) throw new MemberChangedError(entry.name, `${size} bytes`, `${seen} bytes`);
    }
    await this.pad(size);
    const digest = hash.digest("hex");
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
  const writer = new TarWriter(stream, mtimeSeconds);
  void (async () => {
    for (const entry of entries) await writer.add(entry);
    await writer.finish();
    stream.end();
  })().catch((error: unknown) => stream.destroy(error as Error));
  return stream;
}
