import { rename, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { EnvironmentError } from "../errors.js";
import { FileSink } from "../primitives/file-sink.js";
import { GrowingFileDigest } from "../primitives/growing-file-digest.js";
import { syncFolder, tempPathFor } from "../primitives/write-atomic.js";
import { SUMS, SUMS_SIGNATURE } from "./layout.js";
import { type TarEntry, TarWriter } from "./tar-writer.js";

export interface WriteBundleOptions {
  /** The fixed mtime of every member, in seconds since the epoch. */
  mtimeSeconds: number;
  onBytes: (bytes: number) => void;
  /** The temp file is added here while it exists, so that an interrupted caller can remove it. */
  temps: Set<string>;
  /** Signs SHA256SUMS's bytes (see signSums); the signature is written after it as SHA256SUMS.sig. */
  sign?: (sums: Buffer) => Promise<Buffer>;
}

export interface WrittenBundle {
  path: string;
  sizeBytes: number;
  /** The sha256 of the whole archive. */
  sha256: string;
  /** The members written, SHA256SUMS included. */
  members: number;
}

// Large buffers: the archive is mostly big files (image.tar, data), read in 1 MiB chunks.
const HIGH_WATER_MARK = 8 << 20;
// The disk writes the archive back every 64 MiB as it grows, so the fsync at the end has little left to do.
const FLUSH_EVERY_BYTES = 64 << 20;

/**
 * Writes `members` in the order given (the caller sorts them), then SHA256SUMS over all of them (and,
 * when asked, its signature), to a temp file beside `target`; fsync; rename. A reader sees no bundle or a whole one: on any failure the
 * temp file is removed and the error rethrown (a MemberChangedError as it is, for the caller to word).
 * Each byte is hashed once on this thread (its member's sha256, which also checks a recorded one); the
 * archive's own sha256 is computed on a second thread from the file as written.
 */
export async function writeBundle(target: string, members: readonly TarEntry[], options: WriteBundleOptions): Promise<WrittenBundle> {
  const temp = tempPathFor(target);
  options.temps.add(temp);
  let out: FileSink | null = null;
  let digest: GrowingFileDigest | null = null;
  try {
    out = await FileSink.create(temp, {
      highWaterMark: HIGH_WATER_MARK,
      flushEveryBytes: FLUSH_EVERY_BYTES,
      onWritten: (sizeBytes) => digest?.advance(sizeBytes),
    });
    digest = new GrowingFileDigest(temp);
    const sink = out;
    // The file's own errors (ENOSPC, EIO) end the write wherever it is.
    const failed = new Promise<never>((_, reject) => sink.on("error", reject));
    failed.catch(() => undefined);
    const writer = new TarWriter(sink, options.mtimeSeconds, options.onBytes);
    const shas = await Promise.race([writer.addAll(members), failed]);
    const sumsBytes = Buffer.from(members.map((member, i) => `${shas[i] ?? ""}  ${member.name}\n`).join(""));
    await writer.add({ name: SUMS, source: { kind: "data", data: sumsBytes }, mode: 0o644 });
    if (options.sign)
      await writer.add({ name: SUMS_SIGNATURE, source: { kind: "data", data: await options.sign(sumsBytes) }, mode: 0o644 });
    await writer.finish();
    await out.close();
    const sizeBytes = out.sizeBytes;
    const sha256 = await digest.digest(sizeBytes);
    await rename(temp, target);
    options.temps.delete(temp);
    await syncFolder(dirname(target));
    return { path: target, sizeBytes, sha256, members: members.length + (options.sign ? 2 : 1) };
  } catch (error) {
    out?.destroy();
    await digest?.stop();
    await rm(temp, { force: true });
    options.temps.delete(temp);
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
      throw new EnvironmentError(
        `no space left writing ${basename(target)} in ${dirname(target)}`,
        "Free space there or choose another folder with -o. No bundle was written.",
        { cause: error },
      );
    }
    throw error;
  }
}
