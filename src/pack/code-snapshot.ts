import { spawn } from "node:child_process";
import { lstat, readdir, readlink } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { x as extract } from "tar";
import { gitMaybe } from "../capture/git.js";
import { sha256File } from "../capture/hash-paths.js";
import { BadInputError } from "../errors.js";
import type { GitInfo } from "../manifest/types.js";
import { sortEntries, type TarEntry } from "./tar-writer.js";

/**
 * Writes the code exactly as it ran into `dir`: the recorded commit, taken from git (never the
 * working tree as it is now), plus the recorded patch. Fails with exit 2 naming the missing commit
 * or the hunk that does not apply (RELIABILITY P10).
 */
export async function snapshotCode(root: string, git: GitInfo, patchPath: string | null, dir: string): Promise<void> {
  if (git.commit) {
    if ((await gitMaybe(["cat-file", "-e", `${git.commit}^{commit}`], { cwd: root })) === null) {
      throw new BadInputError(`commit ${git.commit} of the run is no longer in the repository at ${root}`, "Fetch it again (git fetch), or capture the run anew.");
    }
    const archive = spawn("git", ["archive", "--format=tar", git.commit], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    archive.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => archive.on("close", resolve));
    await pipeline(archive.stdout, extract({ cwd: dir, strict: true }));
    if ((await exited) !== 0) throw new BadInputError(`git archive ${git.commit} failed: ${stderr.trim()}`, "Check the repository.");
  }
  if (git.patch && patchPath) {
    const actual = await sha256File(patchPath).catch(() => null);
    if (actual !== git.patch.sha256) {
      throw new BadInputError(`the record's ${git.patch.file} is ${actual ? "changed" : "missing"} (sha256 ${actual ?? "-"}, recorded ${git.patch.sha256})`, "The record was edited; capture the run again.");
    }
    // Outside any repository (GIT_CEILING_DIRECTORIES): git apply then patches plain files in `dir`.
    const result = await run("git", ["apply", "--binary", "--whitespace=nowarn", patchPath], dir, { GIT_CEILING_DIRECTORIES: dirname(dir) });
    if (result.code !== 0) {
      throw new BadInputError(`the recorded patch does not apply to commit ${git.commit ?? "(none)"}: ${result.stderr.trim()}`, "The record and the repository disagree; capture the run again.");
    }
  }
}

function run(cmd: string, args: string[], cwd: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/**
 * Every file and symbolic link below `dir`, as tar entries named `prefix/relative`, sorted.
 * `keepLink` decides about each link's target (resolved inside `dir`); false refuses the pack.
 */
export async function listTree(dir: string, prefix: string, keepLink: (rel: string, target: string) => boolean = () => true): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const path = join(dir, childRel);
      const info = await lstat(path);
      const entryName = `${prefix}/${childRel}`;
      if (info.isDirectory()) await walk(childRel);
      else if (info.isFile()) entries.push({ name: entryName, source: { kind: "file", path, sizeBytes: info.size }, mode: info.mode });
      else if (info.isSymbolicLink()) {
        const target = await readlink(path);
        if (!keepLink(childRel, target)) {
          throw new BadInputError(`${entryName} is a link to ${target}, outside the folder it belongs to`, "Replace the link with the file, or reinstall without links (npm ci).");
        }
        entries.push({ name: entryName, source: { kind: "symlink", target }, mode: 0o777 });
      }
    }
  };
  await walk("");
  return sortEntries(entries);
}

/** A link stays inside its folder when its target, resolved from the link's place, does not climb out. */
export function linkStaysInside(rel: string, target: string): boolean {
  if (target.startsWith("/")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  return resolved !== ".." && !resolved.startsWith("../");
}
