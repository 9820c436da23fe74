import { open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import { BadInputError, describeError } from "../errors.js";
import { parseYamlStrict } from "./parse-yaml.js";
import { runsFolder } from "./run-folder.js";
import { listIds, resolveId } from "./record-ids.js";
import { appendRunIndex, MANIFEST, type ManifestKey } from "./run-index.js";
import type { RunManifest } from "./types.js";
import { validateRun } from "./validate.js";
import { syncFolder, tempPathFor } from "../primitives/write-atomic.js";

export { ambiguousRef, listIds, resolveId } from "./record-ids.js";
export { MANIFEST };

/** The order a reader meets a record in: what ran, on what, from which code and data, what came out. */
// Every key of the record, in the order it is written: the type below fails to compile when one is missing.
const RUN_KEY_ORDER = [
  "apiVersion",
  "kind",
  "id",
  "name",
  "tags",
  "status",
  "createdAt",
  "mlxVersion",
  "command",
  "params",
  "seed",
  "env",
  "system",
  "gpus",
  "runtimes",
  "dependencies",
  "python",
  "git",
  "inputs",
  "outputs",
  "outcome",
  "logs",
  "metrics",
  "tolerances",
  "group",
  "pruned",
  "warnings",
] as const satisfies ReadonlyArray<keyof RunManifest>;
type Unlisted = Exclude<keyof RunManifest, (typeof RUN_KEY_ORDER)[number]>;
const everyKeyListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyKeyListed;

/**
 * Validates, then writes manifest.yaml atomically, its keys in one fixed order; then appends the run's
 * row to the run index, keyed by the file as written (its size, mtime and inode, taken before the
 * rename, so a concurrent write of the same record can never lend its key to this row).
 */
export async function writeRun(folder: string, manifest: RunManifest): Promise<void> {
  const where = join(folder, MANIFEST);
  validateRun(manifest, where);
  const ordered = Object.fromEntries(RUN_KEY_ORDER.filter((k) => manifest[k] !== undefined).map((k) => [k, manifest[k]]));
  const key = await writeManifestAtomic(where, stringify(ordered, { lineWidth: 0 }));
  await appendRunIndex(folder, manifest, key);
}

/** Temp file in the same folder, fsync, rename, fsync the folder (as writeFileAtomic), returning the file's key. */
async function writeManifestAtomic(target: string, data: string): Promise<ManifestKey> {
  const temp = tempPathFor(target);
  let renamed = false;
  try {
    const handle = await open(temp, "wx", 0o644);
    let key: ManifestKey;
    try {
      await handle.writeFile(data);
      await handle.sync();
      const s = await handle.stat();
      key = { size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    renamed = true;
    await syncFolder(dirname(target));
    return key;
  } finally {
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}

export async function readRun(folder: string): Promise<RunManifest> {
  const where = join(folder, MANIFEST);
  let text: string;
  try {
    text = await readFile(where, "utf8");
  } catch (error) {
    throw new BadInputError(`cannot read ${where}: ${describeError(error)}`, "Run `mlx ls` to see the runs that exist.", {
      cause: error,
    });
  }
  return validateRun(parseYamlStrict(text, where), where);
}

export const listRunIds = (root: string): Promise<string[]> => listIds(runsFolder(root));
export const resolveRunId = (root: string, ref: string): Promise<string> => resolveId(runsFolder(root), ref, "run");
