import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import { lstat, mkdir, mkdtemp, open, readFile, readdir, rm, stat } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { BadInputError, describeError, MlxError } from "../errors.js";
import { parseYamlStrict } from "../record/parse-yaml.js";
import { readRun } from "../record/run-store.js";
import type { BundleManifest, RunManifest } from "../record/types.js";
import { type ImageArchiveFiles, smallFilesCollector } from "./image-archive.js";
import { validateBundle } from "../record/validate.js";
import { BUNDLE_MANIFEST, IMAGE_ARCHIVE, SUMS, SUMS_SIGNATURE } from "./layout.js";
import { writeFailure } from "../primitives/write-failure.js";
import type { OnProgress } from "../primitives/progress-event.js";

export const LIMITS = { entries: 100_000, depth: 64, nameBytes: 4096, segmentBytes: 255, totalBytes: 256 * 1024 ** 3 };

export interface OpenBundle {
  /** The folder the bundle was extracted into (fresh, mode 0700). */
  folder: string;
  manifest: BundleManifest;
  runs: RunManifest[];
  /** member -> sha256, every one verified against the extracted file. */
  sums: Map<string, string>;
  /** The small files (manifest.json, configs) inside image.tar, read in the same pass. */
  imageFiles: ImageArchiveFiles;
  /** SHA256SUMS.sig (the only member SHA256SUMS does not list), or null when the bundle is unsigned. */
  signature: Buffer | null;
  /** False when image.tar went to an `image` sink instead of the folder. */
  imageExtracted: boolean;
}

/**
 * Where image.tar's bytes go instead of the extract folder: asked once, when image.tar starts and
 * bundle.yaml (which pack writes first) was read and valid before it. The stream gets every byte in
 * order (hashed on the way as any member) and is ended after the last; it is destroyed when the
 * pass fails. Null: image.tar is extracted like any member. Nothing it was given is verified until
 * openBundle resolves: the sink must not use the bytes before then.
 */
export type ImageSink = (manifest: BundleManifest) => Promise<Writable | null>;

export interface OpenOptions {
  signal?: AbortSignal;
  progress?: OnProgress;
  image?: ImageSink;
}

/**
 * Opens an untrusted bundle: a plain tar (magic checked before anything is written), every entry a
 * regular file or folder with a safe, unique name (no absolute paths, "..", links, devices, FIFOs,
 * setuid bits, Unicode or case collisions), within entry and size caps; extracted into a fresh
 * folder below `parent`; every file verified against SHA256SUMS, and bundle.yaml and the run records
 * against their schemas, before anything is used. Any failure: exit 2 naming the member (exit 3 when
 * `parent` cannot be written), and the extract folder removed. When `signal` aborts, the pass stops
 * at once and rejects with its reason, the folder removed too.
 */
export async function openBundle(path: string, parent: string, options: OpenOptions = {}): Promise<OpenBundle> {
  const { signal, progress } = options;
  await checkPlainTar(path);
  signal?.throwIfAborted();
  // Verifying is the read of the whole archive: its bytes so far, of the file's size, are the progress.
  const total = progress ? (await stat(path)).size : 0;
  const onBytes = progress ? (done: number): void => progress({ step: "verifying bundle", done, total }) : undefined;
  onBytes?.(0);
  const folder = await mkdtemp(join(parent, "bundle-")).catch((error: unknown) => {
    throw writeFailure(error, parent) ?? error;
  });
  try {
    const { names, folders, hashes, imageFiles, imageExtracted } = await extractChecked(path, folder, signal, onBytes, options.image);
    signal?.throwIfAborted();
    const sums = await verifySums(folder, names, hashes);
    checkFolders(folders, sums);
    const manifest = validateBundle(parseYamlStrict(await readMember(folder, BUNDLE_MANIFEST), BUNDLE_MANIFEST), BUNDLE_MANIFEST);
    const runs = await Promise.all(manifest.runs.map((id) => readRun(join(folder, "records", "runs", id))));
    for (const d of manifest.data)
      if (!sums.has(`data/${d.path}`))
        throw new BadInputError(`bundle.yaml names data ${d.path}, which the bundle lacks`, "The bundle is corrupt; ask for a new one.");
    if (manifest.image.file && !sums.has(manifest.image.file))
      throw new BadInputError(
        `bundle.yaml names ${manifest.image.file}, which the bundle lacks`,
        "The bundle is corrupt; ask for a new one.",
      );
    const signature = names.includes(SUMS_SIGNATURE) ? await readFile(join(folder, SUMS_SIGNATURE)) : null;
    progress?.({ step: "verifying bundle", done: total, total, end: true });
    return { folder, manifest, runs, sums, imageFiles, signature, imageExtracted };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw writeFailure(error, parent) ?? error;
  }
}

/**
 * One pass over the archive: each entry is checked (safe name, files and folders only, no setuid,
 * unique up to Unicode form and case, caps), then written by us (O_EXCL, 0644/0755, never a link)
 * while it is hashed; image.tar goes to `sink` when it takes it. The first problem (or `signal`)
 * stops the pass and every write still open (the sink's too); the caller removes the folder.
 */
async function extractChecked(
  path: string,
  folder: string,
  signal: AbortSignal | undefined,
  onBytes?: (bytes: number) => void,
  sink?: ImageSink,
): Promise<{ names: string[]; folders: string[]; hashes: Map<string, string>; imageFiles: ImageArchiveFiles; imageExtracted: boolean }> {
  const image = smallFilesCollector(); // image.tar's manifest and config, without a second read
  const names: string[] = [];
  const folders: string[] = [];
  const hashes = new Map<string, string>();
  const seen = new Map<string, string>();
  const writes: Array<Promise<void>> = [];
  const outs: Writable[] = [];
  let early: BundleManifest | undefined; // bundle.yaml, when it came first and was valid: what the sink is told
  let imageExtracted = true;
  let total = 0;
  let problem: unknown;
  let parsing = true; // a parser that has ended or failed is not aborted again (its error would go unheard)
  const parser = new Parser({ strict: true });
  const fail = (error: unknown): void => {
    problem ??= error;
    if (parsing) parser.abort(error instanceof Error ? error : new Error(String(error)));
    // Past the end of the input, a write may still wait on its reader (the image sink's engine): stop them all.
    else for (const out of outs) out.destroy();
  };
  const stop = (message: string): void => fail(new BadInputError(message, "Do not use this bundle; ask its author for a new one."));
  const onAbort = (): void => fail(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  // An entry that waits (for the image sink) holds back the ones after it beyond the end of the input.
  const emittedAll = new Promise<void>((resolve) => {
    for (const event of ["end", "abort", "error", "close"]) parser.once(event, () => resolve());
  });
  parser.on("entry", (entry: ReadEntry) => {
    const name = entry.path;
    if (problem !== undefined) return entry.resume();
    const why = entryProblem(name, entry);
    if (why) return stop(`unsafe bundle member ${JSON.stringify(name)}: ${why}`);
    // Unicode (NFC/NFD) and case variants of one name would land on one file on some systems.
    const key = memberKey(name);
    const twin = seen.get(key);
    if (twin !== undefined)
      return stop(
        twin === name
          ? `duplicate bundle member ${JSON.stringify(name)}`
          : `bundle members ${JSON.stringify(twin)} and ${JSON.stringify(name)} collide (same name up to Unicode form or case)`,
      );
    seen.set(key, name);
    total += entry.size ?? 0;
    if (seen.size > LIMITS.entries) return stop(`more than ${LIMITS.entries} members`);
    if (total > LIMITS.totalBytes) return stop(`members add up to more than ${LIMITS.totalBytes} bytes`);
    const target = join(folder, name);
    if (entry.type === "Directory") {
      folders.push(name.replace(/\/$/, ""));
      try {
        mkdirSync(target, { recursive: true, mode: 0o755 });
      } catch (error) {
        return fail(error); // a full or read-only disk
      }
      return entry.resume();
    }
    names.push(name);
    try {
      mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    } catch (error) {
      return fail(error); // a full or read-only disk
    }
    const toFile = (): Writable =>
      createWriteStream(target, { flags: "wx", mode: (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644, highWaterMark: 1 << 20 });
    const consume = (out: Writable): Promise<void> => {
      outs.push(out);
      // A write still in flight when the stream is destroyed fails late (ERR_STREAM_DESTROYED), after
      // the pipeline let go of the stream: that error has nowhere to go but here.
      out.on("error", () => undefined);
      if (problem !== undefined) return Promise.resolve(void out.destroy());
      const hash = createHash("sha256");
      // Hashed in the pipe, not by a data listener: an entry that waited holds bytes that a listener
      // added before (or after) the pipe would take alone.
      const tap = new Transform({
        highWaterMark: 1 << 20,
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          if (name === IMAGE_ARCHIVE) image.parser.write(chunk);
          done(null, chunk);
        },
        flush(done) {
          if (name === IMAGE_ARCHIVE) image.parser.end();
          done();
        },
      });
      // A failed write (ENOSPC) stops the pass at once; it never becomes an unhandled rejection.
      return pipeline(entry as unknown as NodeJS.ReadableStream, tap, out).then(() => void hashes.set(name, hash.digest("hex")), fail);
    };
    if (name === BUNDLE_MANIFEST) {
      const chunks: Buffer[] = [];
      entry.on("data", (chunk: Buffer) => chunks.push(chunk));
      // The parser moves to the next member only after this one ended: bundle.yaml is read before image.tar starts.
      entry.on("end", () => (early = earlyManifest(Buffer.concat(chunks).toString("utf8"))));
    }
    if (name === IMAGE_ARCHIVE && sink && early?.image.file === IMAGE_ARCHIVE) {
      // The entry holds its bytes (and the parser waits) until the sink has answered.
      const manifest = early;
      writes.push(
        sink(manifest).then((out) => {
          if (out) imageExtracted = false;
          return consume(out ?? toFile());
        }, fail),
      );
      return;
    }
    writes.push(consume(toFile()));
  });
  try {
    const archive = createReadStream(path, { highWaterMark: 1 << 20 });
    let read = 0;
    if (onBytes) archive.on("data", (chunk: Buffer | string) => onBytes((read += chunk.length)));
    await pipeline(archive, parser).finally(() => (parsing = false));
    await emittedAll;
    await Promise.all(writes);
    if (problem !== undefined) throw problem;
  } catch (error) {
    // What stopped the pass, taken before the writes closed below fail in their turn.
    const stopped = problem;
    // Every write is closed before the caller removes the folder, so none lands in it afterwards.
    for (const out of outs) out.destroy();
    await Promise.allSettled(writes);
    if (stopped !== undefined) throw stopped;
    if (error instanceof MlxError || writeFailure(error, folder)) throw error;
    throw new BadInputError(
      `bundle ${path} cannot be read: ${describeError(error)} (after ${names.at(-1) ?? "no member"})`,
      "The bundle is truncated or corrupt; download it again.",
      { cause: error },
    );
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  if (names.length === 0) throw new BadInputError(`bundle ${path} is empty`, "Give a bundle made by mlx pack.");
  return { names, folders, hashes, imageFiles: image.files, imageExtracted };
}

/** bundle.yaml read as it streams by, for the image sink; undefined when it is not valid (the full check says why). */
function earlyManifest(text: string): BundleManifest | undefined {
  try {
    return validateBundle(parseYamlStrict(text, BUNDLE_MANIFEST), BUNDLE_MANIFEST);
  } catch {
    return undefined;
  }
}

/** Refuses what is not a plain tar before the parser sees it (node-tar would gunzip a compression bomb unasked). */
export async function checkPlainTar(path: string): Promise<void> {
  const info = await lstat(path).catch(() => undefined);
  if (!info) throw new BadInputError(`${path}: no such file`, "Give the path of a bundle.tar made by mlx pack.");
  if (!info.isFile()) throw new BadInputError(`${path} is not a file`, "Give the path of a bundle.tar made by mlx pack.");
  const handle = await open(path, "r");
  const head = Buffer.alloc(512);
  try {
    await handle.read(head, 0, 512, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b)
    throw new BadInputError(
      `${path} is compressed (gzip); expected a plain tar`,
      "mlx pack writes plain tars; do not use a bundle that was compressed or replaced.",
    );
  if (head.subarray(257, 262).toString("latin1") !== "ustar") {
    throw new BadInputError(`${path} is not a tar (no ustar magic at offset 257)`, "Give the path of a bundle.tar made by mlx pack.");
  }
}

/** Names that land on one file on some systems (Unicode NFC/NFD forms, case) share this key. */
export function memberKey(name: string): string {
  return name.normalize("NFC").toLowerCase().replace(/\/$/, "");
}

/** Why an entry may not be extracted, or undefined when it is safe. */
export function entryProblem(name: string, entry: Pick<ReadEntry, "type" | "mode">): string | undefined {
  if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "Directory")
    return `${entry.type} entries are not allowed (only files and folders)`;
  if ((entry.mode ?? 0) & 0o7000) return `mode ${(entry.mode ?? 0).toString(8)} has setuid, setgid or sticky bits`;
  if (Buffer.byteLength(name) > LIMITS.nameBytes) return `name longer than ${LIMITS.nameBytes} bytes`;
  if (name.includes("\0")) return "name contains a NUL byte";
  if (/[\n\r]/.test(name)) return "a line break in the name"; // SHA256SUMS lists one name per line
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "absolute path";
  if (name.includes("\\")) return "backslash in the name";
  const parts = name.replace(/\/$/, "").split("/");
  if (parts.some((p) => p === "..")) return "path climbs out with ..";
  if (parts.some((p) => p === "" || p === ".")) return "empty or . path segment";
  // Longer than a file system takes (NAME_MAX): the write would fail with ENAMETOOLONG.
  if (parts.some((p) => Buffer.byteLength(p) > LIMITS.segmentBytes)) return `a path segment longer than ${LIMITS.segmentBytes} bytes`;
  if (parts.length > LIMITS.depth) return `deeper than ${LIMITS.depth} folders`;
  return undefined;
}

/** Reads SHA256SUMS strictly and checks every extracted file against it: nothing unlisted, nothing missing. */
async function verifySums(folder: string, members: string[], hashes: Map<string, string>): Promise<Map<string, string>> {
  const text = await readMember(folder, SUMS);
  const sums = new Map<string, string>();
  text.split("\n").forEach((line, i) => {
    if (line === "" && i === text.split("\n").length - 1) return;
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m)
      throw new BadInputError(
        `SHA256SUMS line ${i + 1} is not "<sha256>  <member>": ${JSON.stringify(line.slice(0, 120))}`,
        "The bundle is corrupt; ask for a new one.",
      );
    const [, digest, name] = m as unknown as [string, string, string];
    if (entryProblem(name, { type: "File", mode: 0o644 }) || posix.normalize(name) !== name)
      throw new BadInputError(`SHA256SUMS line ${i + 1} names an unsafe path ${JSON.stringify(name)}`, "Do not use this bundle.");
    if (sums.has(name))
      throw new BadInputError(`SHA256SUMS line ${i + 1} lists ${name} twice`, "The bundle is corrupt; ask for a new one.");
    sums.set(name, digest);
  });
  // SHA256SUMS cannot list itself, nor the signature over it; every other member is listed.
  const files = members.filter((m) => m !== SUMS && m !== SUMS_SIGNATURE);
  for (const name of files)
    if (!sums.has(name))
      throw new BadInputError(
        `bundle member ${name} is not in SHA256SUMS`,
        "Unlisted members are never used; the bundle was altered. Ask for a new one.",
      );
  for (const name of sums.keys())
    if (!files.includes(name))
      throw new BadInputError(`SHA256SUMS lists ${name}, which the bundle lacks`, "The bundle is incomplete; ask for a new one.");
  for (const name of files) {
    const actual = hashes.get(name);
    if (actual !== sums.get(name)) {
      throw new BadInputError(
        `bundle member ${name} is corrupt: sha256 ${actual}, SHA256SUMS says ${sums.get(name)}`,
        "Download the bundle again; nothing was loaded or run.",
      );
    }
  }
  return sums;
}

/** A folder member is only ever the parent of a listed file: anything else is a member SHA256SUMS does not vouch for. */
export function checkFolders(folders: readonly string[], sums: ReadonlyMap<string, string>): void {
  const parents = new Set<string>();
  for (const name of sums.keys()) {
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join("/"));
  }
  for (const folder of folders)
    if (!parents.has(folder))
      throw new BadInputError(
        `bundle member ${JSON.stringify(`${folder}/`)} is a folder that holds no file SHA256SUMS lists`,
        "Unlisted members are never used; the bundle was altered. Ask for a new one.",
      );
}

async function readMember(folder: string, name: string): Promise<string> {
  const path = join(folder, name);
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile()) throw new BadInputError(`the bundle has no ${name}`, "This is not a bundle made by mlx pack.");
  return readFile(path, "utf8");
}

/** A fresh, empty output folder: an existing non-empty folder or a link is refused. True when it was made here. */
export async function prepareOutFolder(out: string): Promise<boolean> {
  const info = await lstat(out).catch(() => undefined);
  if (info?.isSymbolicLink()) throw new BadInputError(`--out ${out} is a symbolic link`, "Give a plain folder path.");
  if (info && !info.isDirectory()) throw new BadInputError(`--out ${out} exists and is not a folder`, "Give a new folder path.");
  if (info && (await readdir(out)).length > 0) throw new BadInputError(`--out ${out} is not empty`, "Give a new or empty folder.");
  await mkdir(out, { recursive: true, mode: 0o700 }).catch(async (error: unknown) => {
    // Node's recursive mkdir says ENOENT where the parent exists on read-only media: a plain one says EROFS.
    const cause: unknown = await mkdir(out, { mode: 0o700 }).then(
      () => undefined,
      (plain: unknown) => plain,
    );
    if (cause === undefined) return;
    throw writeFailure(cause, dirname(out)) ?? writeFailure(error, dirname(out)) ?? error;
  });
  return !info;
}
