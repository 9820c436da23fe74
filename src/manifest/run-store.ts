import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { BadInputError } from "../errors.js";
import { parseYamlStrict } from "./parse-yaml.js";
import { runsFolder } from "./run-folder.js";
import type { RunManifest } from "./types.js";
import { validateRun } from "./validate.js";
import { writeFileAtomic } from "./write-atomic.js";

export const MANIFEST = "manifest.yaml";

/** The order a reader meets a record in: what ran, on what, from which code and data, what came out. */
const RUN_KEY_ORDER: ReadonlyArray<keyof RunManifest> = [
  "apiVersion", "kind", "id", "name", "tags", "status", "createdAt", "mlxVersion",
  "command", "params", "seed", "env", "system", "gpus", "runtimes", "dependencies", "git",
  "inputs", "outputs", "outcome", "logs", "metrics", "tolerances", "warnings",
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
    throw new BadInputError(`cannot read ${where}: ${(error as Error).message}`, "Run `mlx ls` to see the runs that exist.", { cause: error });
  }
  return validateRun(parseYamlStrict(text, where), where);
}

/** Run ids, newest first. */
export async function listRunIds(root: string): Promise<string[]> {
  try {
    const entries = await readdir(runsFolder(root), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).map((e) => e.name).sort().reverse();
  } catch {
    return [];
  }
}

/** Resolves `latest`, an exact id, or a unique prefix of one; otherwise exit 2 listing recent ids. */
export async function resolveRunId(root: string, ref: string): Promise<string> {
  const ids = await listRunIds(root);
  if (ids.length === 0) {
    throw new BadInputError(`no runs recorded under ${runsFolder(root)}`, "Capture one first: mlx capture -- <command>");
  }
  const match = ref === "latest" ? [ids[0]!] : ids.includes(ref) ? [ref] : ids.filter((id) => id.startsWith(ref));
  if (match.length === 1) return match[0]!;
  const recent = ids.slice(0, 5).join(", ");
  const what = match.length === 0 ? `no run '${ref}'` : `'${ref}' matches ${match.length} runs`;
  throw new BadInputError(`${what} in ${runsFolder(root)}`, `Recent runs: ${recent}. Run \`mlx ls\` for all.`);
}
