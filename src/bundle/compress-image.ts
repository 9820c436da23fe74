// A `docker save` archive made smaller for the bundle: each layer gzip-compressed, deterministically.
import { createReadStream, createWriteStream } from "node:fs";
import { type FileHandle, open, rm, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { describeError, EnvironmentError } from "../errors.js";
import { type TarSource, TarWriter } from "./tar-writer.js";

/** How pack stores the image's layers inside image.tar. */
export type ImageCompression = "gzip" | "none";

/** zlib's fastest level: on the iris image 0.38x of docker save, against 0.34x at level 6 for 2.3x the time. */
export const GZIP_LEVEL = 1;
/**
 * Each layer is cut into pieces of this many bytes, each compressed on its own into one gzip member
 * (RFC 1952 allows several, and gzip readers, the engine's included, read them as one stream). The
 * pieces compress at once on every core; the fixed size keeps the output the same whatever the reads.
 */
export const PIECE_BYTES = 4 << 20;

/** A layer as `docker save` (legacy layout) names it. Blobs of an OCI layout are named by their digest: left alone. */
const LAYER = /^[0-9a-f]{64}\/layer\.tar$/;
/** A blob of an OCI layout (Engine 25 and later save so), named by its digest: compressing it would break the name. */
const BLOB = /^blobs\/sha256\/[0-9a-f]{64}$/;
/** Files below this size are kept in memory between reading and writing; larger ones go to a temp file. */
const SMALL_BYTES = 1 << 20;

const gzipAsync = promisify(gzip);

export interface CompressedImage {
  sizeBytes: number;
  /** Layers compressed here, and their bytes before and after. */
  layers: number;
  layerBytes: number;
  compressedBytes: number;
  /** OCI layout blobs seen, left as they were. */
  blobs: number;
}

export interface CompressOptions {
  /** An empty folder for the pieces between reading and writing; the caller removes it (an interrupted pack included). */
  workDir: string;
  /** Pieces compressed at once (default: the cores, at least 2). */
  concurrency?: number;
  /** zlib's level, 1-9 (default GZIP_LEVEL); bench/size.mjs compares them. */
  level?: number;
  /** Bytes of `source` read so far. */
  onBytes?: (bytes: number) => void;
}

type Member = { name: string; mode: number; source: TarSource; temp?: string };

/**
 * Writes `target` (which must not exist): the docker-save archive `source` with every regular layer
 * (`<id>/layer.tar`) gzip-compressed, and every other member's content as it was. The engine finds
 * compressed layers by their magic bytes and checks each against the config's diff_ids after
 * decompressing, so the image id (the config's digest) is the same. Headers are rewritten as the
 * bundle's own (fixed mtime, uid 0), so the same source gives the same bytes. A layer that is
 * compressed already is kept as it is. A source that is not a readable tar is an EnvironmentError:
 * it came from the engine.
 */
export async function compressImageArchive(source: string, target: string, options: CompressOptions): Promise<CompressedImage> {
  const concurrency = options.concurrency ?? Math.max(2, availableParallelism());
  const level = options.level ?? GZIP_LEVEL;
  const members: Member[] = [];
  const stats = { layers: 0, layerBytes: 0, compressedBytes: 0, blobs: 0 };
  let failure: unknown = null;
  let chain = Promise.resolve();
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const name = entry.path;
      const mode = entry.mode ?? 0o644;
      if (entry.type === "Directory") return (void members.push({ name, mode, source: { kind: "dir" } }), entry.resume());
      if (entry.type === "SymbolicLink")
        return (void members.push({ name, mode, source: { kind: "symlink", target: entry.linkpath ?? "" } }), entry.resume());
      if (entry.type !== "File" && entry.type !== "OldFile") {
        failure ??= new EnvironmentError(
          `docker save wrote a ${entry.type} member ${JSON.stringify(name)}, which mlx cannot compress`,
          "Pack with --compress none.",
        );
        return entry.resume();
      }
      const size = entry.size ?? 0;
      if (BLOB.test(name)) stats.blobs += 1;
      const member: Member = { name, mode, source: { kind: "data", data: Buffer.alloc(0) } };
      members.push(member);
      // The parser waits while this entry's bytes are consumed: one member at a time, in order.
      entry.pause();
      chain = chain.then(async () => {
        if (failure) return void entry.resume();
        try {
          if (!LAYER.test(name) && size <= SMALL_BYTES) {
            member.source = { kind: "data", data: await readAll(entry as unknown as Readable) };
            return;
          }
          member.temp = join(options.workDir, String(members.length));
          const layer = LAYER.test(name);
          const written = await spool(entry as unknown as Readable, member.temp, layer ? level : null, concurrency);
          member.source = { kind: "file", path: member.temp, sizeBytes: written.sizeBytes };
          if (layer && written.compressed) {
            stats.layers += 1;
            stats.layerBytes += size;
            stats.compressedBytes += written.sizeBytes;
          }
        } catch (error) {
          failure ??= error;
          entry.resume();
        }
      });
    },
  });
  let read = 0;
  const input = createReadStream(source, { highWaterMark: 1 << 20 });
  input.on("data", (chunk) => options.onBytes?.((read += chunk.length)));
  try {
    await pipeline(input, parser);
    await chain;
  } catch (error) {
    failure ??= error;
  }
  if (failure) throw unreadable(source, failure);
  if (members.length === 0) throw unreadable(source, new Error("no members"));

  await writeMembers(target, members).catch((error: unknown) => {
    throw unreadable(source, error);
  });
  return { sizeBytes: (await stat(target)).size, ...stats };
}

/** The archive, in the source's order, each piece file removed once copied; no `target` is left on failure. */
async function writeMembers(target: string, members: readonly Member[]): Promise<void> {
  const out = createWriteStream(target, { flags: "wx", mode: 0o644, highWaterMark: 8 << 20 });
  const failed = new Promise<never>((_, reject) => out.on("error", reject));
  failed.catch(() => undefined);
  const writer = new TarWriter(out, 0);
  try {
    for (const member of members) {
      await Promise.race([writer.add(member), failed]);
      if (member.temp) await rm(member.temp, { force: true });
    }
    await Promise.race([writer.finish(), failed]);
    out.end();
    await Promise.race([new Promise<void>((resolve) => out.on("finish", () => resolve())), failed]);
  } catch (error) {
    out.destroy();
    await rm(target, { force: true });
    throw error;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** gzip, zstd, xz and bzip2 magic bytes: a layer that starts so is stored as it is (the engine decompresses once). */
function isCompressed(head: Buffer): boolean {
  const starts = (...bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  return starts(0x1f, 0x8b) || starts(0x28, 0xb5, 0x2f, 0xfd) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a) || starts(0x42, 0x5a, 0x68);
}

/**
 * Writes `stream` to `file`: as it is (level null), or cut into PIECE_BYTES pieces compressed
 * `concurrency` at a time on libuv's pool, each written as its own gzip member, in order.
 */
async function spool(
  stream: Readable,
  file: string,
  level: number | null,
  concurrency: number,
): Promise<{ sizeBytes: number; compressed: boolean }> {
  const handle = await open(file, "wx", 0o600);
  let sizeBytes = 0;
  const write = async (data: Buffer): Promise<void> => {
    await writeFully(handle, data);
    sizeBytes += data.length;
  };
  try {
    let compress = level !== null;
    let first = true;
    const pending: Promise<Buffer>[] = [];
    let piece: Buffer[] = [];
    let pieceBytes = 0;
    const submit = async (data: Buffer): Promise<void> => {
      if (first && compress) compress = !isCompressed(data);
      first = false;
      if (!compress) return write(data);
      const job = gzipAsync(data, { level: level! });
      job.catch(() => undefined); // awaited in order below; a failure then is the one reported
      pending.push(job);
      if (pending.length >= concurrency) await write(await pending.shift()!);
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let rest = chunk;
      while (rest.length > 0) {
        const take = Math.min(rest.length, PIECE_BYTES - pieceBytes);
        piece.push(rest.subarray(0, take));
        pieceBytes += take;
        rest = rest.subarray(take);
        if (pieceBytes === PIECE_BYTES) {
          // Copied: the parser may reuse the chunk's memory once this entry moves on.
          const data = Buffer.concat(piece);
          piece = [];
          pieceBytes = 0;
          await submit(data);
        }
      }
    }
    if (pieceBytes > 0 || first) await submit(Buffer.concat(piece));
    while (pending.length > 0) await write(await pending.shift()!);
    return { sizeBytes, compressed: compress };
  } finally {
    await handle.close();
  }
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) offset += (await handle.write(data, offset)).bytesWritten;
}

function unreadable(source: string, cause: unknown): Error {
  if (cause instanceof EnvironmentError) return cause;
  if ((cause as NodeJS.ErrnoException).code === "ENOSPC")
    return new EnvironmentError(`no space left compressing the image beside ${source}`, "Free space there or pack with -o elsewhere.", {
      cause,
    });
  return new EnvironmentError(
    `the engine's docker save archive ${source} could not be compressed: ${describeError(cause)}`,
    "Pack again; if it repeats, pack with --compress none and report it.",
    { cause },
  );
}
