import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { BadInputError } from "../errors.js";
import { parseYamlStrict } from "./parse-yaml.js";
import { runsFolder } from "./run-folder.js";
import type { RunManifest } from "./types.js";
import { validateRun } from "./validate.js";
import { writeFileAtomic } from "../primitives/write-atomic.js";

export const MANIFEST = "manifest.yaml";

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

/** Validates, then writes manifest.yaml atomically, its keys in one fixed order. */
export async function writeRun(folder: string, manifest: RunManifest): Promise<void> {
  const where = join(folder, MANIFEST);
  validateRun(manifest, where);
  const ordered = Object.fromEntries(RUN_KEY_ORDER.filter((k) => manifest[k] !== undefined).map((k) => [k, manifest[k]]));
  await writeFileAtomic(where, stringify(ordered, { lineWidth: 0 }));
}

export async function readRun(folder: string): Promise<RunManifest> {
  const where = join(folder, MANIFEST);
  let text: string;
  try {
    text = await readFile(where, "utf8");
  } catch (error) {
    throw new BadInputError(`cannot read ${where}: ${(error as Error).message}`, "Run `mlx ls` to see the runs that exist.", {
      cause: error,
    });
  }
  return validateRun(parseYamlStrict(text, where), where);
}

/** The ids of the records in `folder` (runs or groups), newest first. */
export async function listIds(folder: string): Promise<string[]> {
  try {
    const entries = await readdir(folder, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

/**
 * Resolves `latest`, an exact id, or a unique prefix of one. No match: exit 2 listing recent ids;
 * an ambiguous prefix: exit 2 listing every id it matches.
 */
export async function resolveId(folder: string, ref: string, what: "run" | "group"): Promise<string> {
  const ids = await listIds(folder);
  if (ids.length === 0) {
    throw new BadInputError(
      `no ${what}s recorded under ${folder}`,
      what === "run" ? "Capture one first: mlx capture -- <command>" : "Run a search first: mlx capture --config search.yaml",
    );
  }
  const match = ref === "latest" ? [ids[0]!] : ids.includes(ref) ? [ref] : ids.filter((id) => id.startsWith(ref));
  if (match.length === 1) return match[0]!;
  const named = match.map((id) => `${what} ${id}`);
  if (match.length > 1) throw ambiguousRef(ref, named, `${what}s`);
  const recent = ids.slice(0, 5).join(", ");
  throw new BadInputError(`no ${what} '${ref}' in ${folder}`, `Recent ${what}s: ${recent}. Run \`mlx ls\` for all.`);
}

/** Exit 2 for a prefix that names several records: each one it matches, so the user can pick. */
export function ambiguousRef(ref: string, matches: readonly string[], what: string): BadInputError {
  const shown = matches.slice(0, 20).join(", ") + (matches.length > 20 ? ` and ${matches.length - 20} more` : "");
  return new BadInputError(`'${ref}' is ambiguous: it matches ${matches.length} ${what}: ${shown}`, "Give more characters of the id.");
}

export const listRunIds = (root: string): Promise<string[]> => listIds(runsFolder(root));
export const resolveRunId = (root: string, ref: string): Promise<string> => resolveId(runsFolder(root), ref, "run");
