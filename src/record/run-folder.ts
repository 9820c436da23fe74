// Where runs live. Kept apart from run-store.ts (YAML, schema) so that capture can make the folder
// and start the command before those heavier modules load.
import { randomBytes } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";

export function runsFolder(root: string): string {
  return join(root, ".mlx", "runs");
}

/** Where search groups live, beside the runs. */
export function groupsFolder(root: string): string {
  return join(root, ".mlx", "groups");
}

/**
 * Sortable by time to the millisecond (two captures in one second still sort in order, so `latest`
 * is right), unique across concurrent captures: 20261123-150752-042-1a2b3c.
 */
export function newRunId(now: Date): string {
  const iso = now.toISOString(); // 2026-11-23T15:07:52.042Z
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}-${iso.slice(20, 23)}`;
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/** Makes .mlx/runs/<id>/ (and logs/) and returns the folder; fails if the id exists. */
export async function createRunFolder(root: string, id: string): Promise<string> {
  const folder = join(runsFolder(root), id);
  await mkdir(runsFolder(root), { recursive: true });
  // Records are never part of the code state: git ignores the whole folder (as pytest does for its cache).
  await writeFile(join(root, ".mlx", ".gitignore"), "# written by mlx: records are not code\n*\n", { flag: "wx" }).catch(() => undefined);
  await mkdir(folder); // no `recursive`: an existing id is an error, never a merge
  await mkdir(join(folder, "logs"));
  return folder;
}

/** The repository root (nearest folder with .git), or the working folder outside git. */
export async function findRoot(cwd: string): Promise<{ root: string; inGit: boolean }> {
  let dir = resolve(cwd);
  for (;;) {
    if (
      await stat(join(dir, ".git")).then(
        () => true,
        () => false,
      )
    )
      return { root: dir, inGit: true };
    const parent = dirname(dir);
    if (parent === dir) return { root: resolve(cwd), inGit: false };
    dir = parent;
  }
}
