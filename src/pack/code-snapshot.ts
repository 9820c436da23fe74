import { spawn } from "node:child_process";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { x as extract } from "tar";
import { gitMaybe } from "../facts/git.js";
import { sha256File } from "../primitives/hash-paths.js";
import { BadInputError } from "../errors.js";
import type { GitInfo } from "../record/types.js";

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
