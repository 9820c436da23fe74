import { createHash } from "node:crypto";

/** One file of a git patch: its lines added and removed, and a digest of its hunks to tell two versions apart. */
export interface PatchFile {
  added: number;
  removed: number;
  digest: string;
}

/** How one file's uncommitted change differs between two runs. */
export interface PatchFileDiff {
  path: string;
  a: { added: number; removed: number } | null;
  b: { added: number; removed: number } | null;
}

/** Splits a `git diff` patch into its files (by the b/ path of each `diff --git` header). */
export function parsePatch(text: string): Map<string, PatchFile> {
  const files = new Map<string, PatchFile>();
  let current: { path: string; added: number; removed: number; lines: string[] } | null = null;
  const close = (): void => {
    if (!current) return;
    const digest = createHash("sha256").update(current.lines.join("\n")).digest("hex");
    files.set(current.path, { added: current.added, removed: current.removed, digest });
  };
  for (const line of text.split("\n")) {
    const header = /^diff --git a\/.* b\/(.*)$/.exec(line);
    if (header) {
      close();
      current = { path: header[1]!, added: 0, removed: 0, lines: [] };
      continue;
    }
    if (!current) continue;
    // The index line carries blob ids: two identical changes have the same one, so it stays in the digest.
    current.lines.push(line);
    if (line.startsWith("+") && !line.startsWith("+++ ")) current.added++;
    else if (line.startsWith("-") && !line.startsWith("--- ")) current.removed++;
  }
  close();
  return files;
}

/** The files whose uncommitted change is not the same in both patches, sorted by path. */
export function comparePatches(a: ReadonlyMap<string, PatchFile>, b: ReadonlyMap<string, PatchFile>): PatchFileDiff[] {
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const stats = (f: PatchFile | undefined) => (f ? { added: f.added, removed: f.removed } : null);
  return paths.filter((p) => a.get(p)?.digest !== b.get(p)?.digest).map((path) => ({ path, a: stats(a.get(path)), b: stats(b.get(path)) }));
}
