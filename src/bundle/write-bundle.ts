import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { PassThrough } from "node:stream";
import { EnvironmentError } from "../errors.js";
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

// Large buffers: the archive is mostly big files (image.tar, data), written in 1 MiB chunks.
const HIGH_WATER_MARK = 8 << 20;

/**
 * Writes `members` in the order given (the caller sorts them), then SHA256SUMS over all of them (and,
 * when asked, its signature), to a temp file beside `target`; fsync; rename. A reader sees no bundle or a whole one: on any failure the
 * temp file is removed and the error rethrown (a MemberChangedError as it is, for the caller to word).
 */
export async function writeBundle(target: string, members: readonly TarEntry[], options: WriteBundleOptions): Promise<WrittenBundle> {
  const temp = tempPathFor(target);
  options.temps.add(temp);
  const out = createWriteStream(temp, { flags: "wx", mode: 0o644, highWaterMark: HIGH_WATER_MARK });
  // The file's own errors (ENOSPC, EIO) end the write wherever it is.
  const failed = new Promise<never>((_, reject) => out.on("error", reject));
  failed.catch(() => undefined);
  const tee = new PassThrough({ highWaterMark: HIGH_WATER_MARK });
  const digest = createHash("sha256");
  tee.on("data", (chunk: Buffer) => digest.update(chunk));
  tee.pipe(out);
  const writer = new TarWriter(tee, options.mtimeSeconds, options.onBytes);
  try {
    const sums: string[] = [];
    for (const member of members) {
      const sha = await Promise.race([writer.add(member), failed]);
      sums.push(`${sha}  ${member.name}\n`);
    }
    const sumsBytes = Buffer.from(sums.join(""));
    await writer.add({ name: SUMS, source: { kind: "data", data: sumsBytes }, mode: 0o644 });
    if (options.sign)
      await writer.add({ name: SUMS_SIGNATURE, source: { kind: "data", data: await options.sign(sumsBytes) }, mode: 0o644 });
    await writer.finish();
    tee.end();
    await Promise.race([new Promise<void>((resolve) => out.on("finish", () => resolve())), failed]);
    const handle = await open(temp, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    options.temps.delete(temp);
    await syncFolder(dirname(target));
    return {
      path: target,
      sizeBytes: (await stat(target)).size,
      sha256: digest.digest("hex"),
      members: members.length + (options.sign ? 2 : 1),
    };
  } catch (error) {
    out.destroy();
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
