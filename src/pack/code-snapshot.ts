import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { x as extract } from "tar";
import { gitMaybe } from "../facts/git.js";
import { sha256File } from "../primitives/hash-paths.js";
import { describeFailure, runProcess, streamProcess } from "../primitives/run-process.js";
import { BadInputError } from "../errors.js";
import type { GitInfo } from "../record/types.js";

/**
 * Writes the code exactly as it ran into `dir`: the recorded commit, taken from git (never the
 * working tree as it is now), plus the recorded patch. Fails with exit 2 naming the missing commit
 * or the hunk that does not apply.
 */
export async function snapshotCode(root: string, git: GitInfo, patchPath: string | null, dir: string): Promise<void> {
  if (git.commit) {
    if ((await gitMaybe(["cat-file", "-e", `${git.commit}^{commit}`], { cwd: root })) === null) {
      throw new BadInputError(
        `commit ${git.commit} of the run is no longer in the repository at ${root}`,
        "Fetch it again (git fetch), or capture the run anew.",
      );
    }
    await extractCommit(root, git.commit, dir);
  }
  if (git.patch && patchPath) {
    const actual = await sha256File(patchPath).catch(() => null);
    if (actual !== git.patch.sha256) {
      throw new BadInputError(
        `the record's ${git.patch.file} is ${actual ? "changed" : "missing"} (sha256 ${actual ?? "-"}, recorded ${git.patch.sha256})`,
        "The record was edited; capture the run again.",
      );
    }
    // Outside any repository (GIT_CEILING_DIRECTORIES): git apply then patches plain files in `dir`.
    const applied = await runProcess("git", ["apply", "--binary", "--whitespace=nowarn", patchPath], {
      cwd: dir,
      env: { GIT_CEILING_DIRECTORIES: dirname(dir) },
      stdout: "ignore",
    });
    const failure = describeFailure(applied);
    if (failure !== null) {
      throw new BadInputError(
        `the recorded patch does not apply to commit ${git.commit ?? "(none)"}: ${applied.stderr.trim() || failure}`,
        "The record and the repository disagree; capture the run again.",
      );
    }
  }
}

/** `git archive <commit> | tar x` into `dir`, streamed: a repository can be larger than memory. */
async function extractCommit(root: string, commit: string, dir: string): Promise<void> {
  const archive = streamProcess("git", ["archive", "--format=tar", commit], { cwd: root });
  const extracted = pipeline(archive.stdout, extract({ cwd: dir, strict: true })).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const [result, extractFailure] = await Promise.all([archive.done, extracted]);
  const failure = describeFailure(result);
  if (failure !== null)
    throw new BadInputError(`git archive ${commit} failed: ${result.stderr.trim() || failure}`, "Check the repository.");
  if (extractFailure) throw extractFailure.error;
}
