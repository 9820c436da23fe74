import { looksSecretFile } from "../record/redact.js";
import { git } from "./git.js";

/** What the tracked files of a repository say about packing it: submodules, and secrets already committed. */
export interface TrackedFacts {
  /** Submodule paths (gitlinks, mode 160000). */
  submodules: string[];
  /** Submodules whose working tree differs from the commit the superproject records (new commits, edits, untracked files). */
  dirtySubmodules: string[];
  /** Committed files that look like secrets: they are in the history already. */
  secretFiles: string[];
}

/** Two git calls at most: `ls-files -s` always, `status --porcelain=v2` only when there are submodules. */
export async function probeTracked(root: string): Promise<TrackedFacts> {
  const staged = parseLsFilesStage((await git(["ls-files", "-s", "-z"], { cwd: root })).toString("utf8"));
  const submodules = staged.filter((e) => e.mode === "160000").map((e) => e.path);
  const secretFiles = staged.filter((e) => e.mode !== "160000" && looksSecretFile(e.path)).map((e) => e.path);
  if (submodules.length === 0) return { submodules, dirtySubmodules: [], secretFiles };
  const status = await git(["status", "--porcelain=v2", "-z", "--ignore-submodules=none", "--", ...submodules], { cwd: root });
  return { submodules, dirtySubmodules: parseDirtySubmodules(status.toString("utf8")), secretFiles };
}

/** `git ls-files -s -z`: "<mode> <object> <stage>\t<path>\0" per entry. */
export function parseLsFilesStage(text: string): Array<{ mode: string; path: string }> {
  return text
    .split("\0")
    .filter(Boolean)
    .flatMap((record) => {
      const m = /^(\d{6}) [0-9a-f]+ \d\t([\s\S]+)$/.exec(record);
      return m ? [{ mode: m[1]!, path: m[2]! }] : [];
    });
}

/**
 * The submodules that `git status --porcelain=v2 -z` reports as changed: ordinary entries
 * ("1 XY S<c><m><u> ...") whose submodule field starts with S and has any of C (new commit),
 * M (tracked changes) or U (untracked files). See git-status(1), "Porcelain Format Version 2".
 */
export function parseDirtySubmodules(text: string): string[] {
  const dirty: string[] = [];
  for (const record of text.split("\0")) {
    const fields = record.split(" ");
    if (fields[0] !== "1" || !fields[2]?.startsWith("S") || fields[2] === "S...") continue;
    dirty.push(fields.slice(8).join(" "));
  }
  return dirty;
}
