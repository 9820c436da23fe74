// Record ids from the folder list alone (one readdir, no record read): listing and resolving `latest`,
// an exact id or a unique prefix. Kept apart from run-store.ts so that `mlx ls` loads neither YAML nor the schema.
import { readdir } from "node:fs/promises";
import { BadInputError } from "../errors.js";

/** The ids of the records in `folder` (runs or groups), newest first: one readdir, no file read. */
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
export async function resolveId(folder: string, ref: string, what: "run" | "group", listed?: readonly string[]): Promise<string> {
  const ids = listed ?? (await listIds(folder)); // a caller that listed the folder already passes the list
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
