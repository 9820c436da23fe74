import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError } from "../errors.js";

/** A file by its path relative to the repository root (forward slashes), size and sha256. */
export interface HashedFile {
  path: string;
  sizeBytes: number;
  sha256: string;
}

/** A declared file or folder; a folder's sha256 is the digest of the list of every file below it. */
export interface HashedPath extends HashedFile {
  kind: "file" | "dir";
  files?: HashedFile[];
}

/** sha256 of a file, streamed: memory stays flat whatever its size. */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash("sha256");
    createReadStream(path)
      .on("data", (chunk) => hash.update(chunk))
      .on("error", reject)
      .on("end", () => resolvePromise(hash.digest("hex")));
  });
}

export function sha256Text(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Hashes a declared file or folder (every file below it, sorted); symbolic links are not followed. */
export async function hashPath(root: string, recorded: string): Promise<HashedPath> {
  const absolute = join(root, recorded);
  const info = await lstat(absolute);
  if (info.isFile()) {
    return { path: recorded, kind: "file", sizeBytes: info.size, sha256: await sha256File(absolute) };
  }
  if (!info.isDirectory()) throw new BadInputError(`${recorded} is neither a file nor a folder`, "Declare regular files or folders.");
  const files: HashedFile[] = [];
  for (const rel of await listFiles(absolute)) {
    const path = `${recorded}/${rel}`;
    const size = (await lstat(join(root, path))).size;
    files.push({ path, sizeBytes: size, sha256: await sha256File(join(root, path)) });
  }
  return {
    path: recorded,
    kind: "dir",
    sizeBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
    sha256: digestFileList(files),
    files,
  };
}

/** The digest of a folder: sha256 over "sha256  size  path" lines, in path order. */
export function digestFileList(files: readonly HashedFile[]): string {
  return sha256Text(files.map((f) => `${f.sha256}  ${f.sizeBytes}  ${f.path}\n`).join(""));
}

/** Regular files below `folder`, relative, sorted by code unit; links and special files are skipped. */
async function listFiles(folder: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(folder, prefix), { withFileTypes: true });
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(folder, rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Entries below `folder` that are neither regular files nor folders (links, FIFOs, devices), found with lstat. */
export async function findUnsafeEntries(folder: string, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(folder, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await findUnsafeEntries(folder, rel)));
    else if (!entry.isFile()) found.push(rel);
  }
  return found;
}
