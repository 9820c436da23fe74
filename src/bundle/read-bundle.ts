import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync } from "node:fs";
import { lstat, mkdir, mkdtemp, open, readFile, readdir, rm } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { BadInputError, EnvironmentError, MlxError } from "../errors.js";
import { parseYamlStrict } from "../record/parse-yaml.js";
import { readRun } from "../record/run-store.js";
import type { BundleManifest, RunManifest } from "../record/types.js";
import { smallFilesCollector } from "./image-archive.js";
import { validateBundle } from "../record/validate.js";
import { BUNDLE_MANIFEST, IMAGE_ARCHIVE, SUMS } from "./layout.js";

export const LIMITS = { entries: 100_000, depth: 64, nameBytes: 4096, totalBytes: 256 * 1024 ** 3 };

export interface OpenBundle {
  /** The folder the bundle was extracted into (fresh, mode 0700). */
  folder: string;
  manifest: BundleManifest;
  runs: RunManifest[];
  /** member -> sha256, every one verified against the extracted file. */
  sums: Map<string, string>;
  /** The small files (manifest.json, configs) inside image.tar, read in the same pass. */
  imageFiles: Map<string, Buffer>;
}

/**
 * Opens an untrusted bundle: a plain tar (magic checked before anything is written), every entry a
 * regular file or folder with a safe, unique name (no absolute paths, "..", links, devices, FIFOs,
 * setuid bits, Unicode or case collisions), within entry and size caps; extracted into a fresh
 * folder below `parent`; every file verified against SHA256SUMS, and bundle.yaml and the run records
 * against their schemas, before anything is used. Any failure: exit 2 naming the member, and the
 * extract folder removed.
 */
export async function openBundle(path: string, parent: string): Promise<OpenBundle> {
  await checkPlainTar(path);
  const folder = await mkdtemp(join(parent, "bundle-"));
  try {
    const { names, hashes, imageFiles } = await extractChecked(path, folder);
    const sums = await verifySums(folder, names, hashes);
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
    return { folder, manifest, runs, sums, imageFiles };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === "ENOSPC")
      throw new EnvironmentError(
        `no space left extracting ${path} into ${parent}`,
        "Free space there, or choose another folder with --out.",
        { cause: error },
      );
    throw error;
  }
}

/**
 * One pass over the archive: each entry is checked (safe name, files and folders only, no setuid,
 * unique up to Unicode form and case, caps), then written by us (O_EXCL, 0644/0755, never a link)
 * while it is hashed. The first problem stops the pass; the caller removes the folder.
 */
async function extractChecked(
  path: string,
  folder: string,
): Promise<{ names: string[]; hashes: Map<string, string>; imageFiles: Map<string, Buffer> }> {
  const image = smallFilesCollector(); // image.tar's manifest and config, without a second read
  const names: string[] = [];
  const hashes = new Map<string, string>();
  const seen = new Map<string, string>();
  const writes: Array<Promise<void>> = [];
  let total = 0;
  let problem: Error | undefined;
  const parser = new Parser({ strict: true });
  const stop = (message: string): void => {
    problem ??= new BadInputError(message, "Do not use this bundle; ask its author for a new one.");
    parser.abort(problem);
  };
  parser.on("entry", (entry: ReadEntry) => {
    const name = entry.path;
    if (problem) return entry.resume();
    const why = entryProblem(name, entry);
    if (why) return stop(`unsafe bundle member ${JSON.stringify(name)}: ${why}`);
    // Unicode (NFC/NFD) and case variants of one name would land on one file on some systems.
    const key = name.normalize("NFC").toLowerCase().replace(/\/$/, "");
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
      mkdirSync(target, { recursive: true, mode: 0o755 });
      return entry.resume();
    }
    names.push(name);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const hash = createHash("sha256");
    const out = createWriteStream(target, { flags: "wx", mode: (entry.mode ?? 0) & 0o111 ? 0o755 : 0o644, highWaterMark: 1 << 20 });
    entry.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      if (name === IMAGE_ARCHIVE) image.parser.write(chunk);
    });
    if (name === IMAGE_ARCHIVE) entry.on("end", () => image.parser.end());
    writes.push(pipeline(entry as unknown as NodeJS.ReadableStream, out).then(() => void hashes.set(name, hash.digest("hex"))));
  });
  try {
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), parser);
    await Promise.all(writes);
  } catch (error) {
    if (problem) throw problem;
    if (error instanceof MlxError) throw error;
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") throw error;
    throw new BadInputError(
      `bundle ${path} cannot be read: ${(error as Error).message} (after ${names.at(-1) ?? "no member"})`,
      "The bundle is truncated or corrupt; download it again.",
      { cause: error },
    );
  }
  if (problem) throw problem;
  if (names.length === 0) throw new BadInputError(`bundle ${path} is empty`, "Give a bundle made by mlx pack.");
  return { names, hashes, imageFiles: image.files };
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

/** Why an entry may not be extracted, or undefined when it is safe. */
export function entryProblem(name: string, entry: Pick<ReadEntry, "type" | "mode">): string | undefined {
  if (entry.type !== "File" && entry.type !== "OldFile" && entry.type !== "Directory")
    return `${entry.type} entries are not allowed (only files and folders)`;
  if ((entry.mode ?? 0) & 0o7000) return `mode ${(entry.mode ?? 0).toString(8)} has setuid, setgid or sticky bits`;
  if (Buffer.byteLength(name) > LIMITS.nameBytes) return `name longer than ${LIMITS.nameBytes} bytes`;
  if (name.includes("\0")) return "name contains a NUL byte";
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return "absolute path";
  if (name.includes("\\")) return "backslash in the name";
  const parts = name.replace(/\/$/, "").split("/");
  if (parts.some((p) => p === "..")) return "path climbs out with ..";
  if (parts.some((p) => p === "" || p === ".")) return "empty or . path segment";
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
  const files = members.filter((m) => m !== SUMS);
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
  await mkdir(out, { recursive: true, mode: 0o700 });
  return !info;
}
