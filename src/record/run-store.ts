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
const RUN_KEY_ORDER: ReadonlyArray<keyof RunManifest> = [
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
  "git",
  "inputs",
  "outputs",
  "outcome",
  "logs",
  "metrics",
  "tolerances",
  "group",
  "warnings",
];

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

/** Resolves `latest`, an exact id, or a unique prefix of one; otherwise exit 2 listing recent ids. */
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
  const recent = ids.slice(0, 5).join(", ");
  const found = match.length === 0 ? `no ${what} '${ref}'` : `'${ref}' matches ${match.length} ${what}s`;
  throw new BadInputError(`${found} in ${folder}`, `Recent ${what}s: ${recent}. Run \`mlx ls\` for all.`);
}

export const listRunIds = (root: string): Promise<string[]> => listIds(runsFolder(root));
export const resolveRunId = (root: string, ref: string): Promise<string> => resolveId(runsFolder(root), ref, "run");
