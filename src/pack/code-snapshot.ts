import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { pipeline } from "node:stream/promises";
import { x as extract } from "tar";
import { git as runGit, gitMaybe } from "../facts/git.js";
import { sha256File } from "../primitives/hash-paths.js";
import { linkStaysInside } from "../primitives/paths.js";
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

/**
 * `git archive <commit> | tar x` into `dir`, streamed: a repository can be larger than memory. A
 * committed link that points outside the code (/etc/passwd, ../../..) is refused by name (exit 2);
 * it is filtered out rather than left to tar, whose error stopped the pass with writes still in flight.
 */
async function extractCommit(root: string, commit: string, dir: string): Promise<void> {
  const archive = streamProcess("git", ["archive", "--format=tar", commit], { cwd: root });
  const escaping: Array<{ path: string; target: string }> = [];
  const filter = (path: string, entry: unknown): boolean => {
    const { type, linkpath } = entry as { type?: string; linkpath?: string };
    if ((type !== "SymbolicLink" && type !== "Link") || linkpath === undefined) return true;
    if (type === "SymbolicLink" && linkStaysInside(path, linkpath)) return true;
    escaping.push({ path, target: linkpath });
    return false;
  };
  const extracted = pipeline(archive.stdout, extract({ cwd: dir, strict: true, filter })).then(
    () => undefined,
    (error: unknown) => ({ error }),
  );
  const [result, extractFailure] = await Promise.all([archive.done, extracted]);
  const failure = describeFailure(result);
  if (failure !== null)
    throw new BadInputError(`git archive ${commit} failed: ${result.stderr.trim() || failure}`, "Check the repository.");
  const link = escaping[0];
  if (link) {
    throw new BadInputError(
      `app/${link.path} is a link to ${link.target}, outside the code (commit ${commit.slice(0, 12)})`,
      "Replace the link with the file it points to, or remove it; commit, and capture the run again.",
    );
  }
  if (extractFailure) throw extractFailure.error;
}

/**
 * The submodules of the code as it ran: gitlinks (mode 160000) in the commit's tree and in the
 * recorded patch. `git archive` leaves them empty folders, so their content is never in a snapshot.
 */
export async function listSubmodules(root: string, git: GitInfo, patchPath: string | null): Promise<string[]> {
  const found = new Set<string>();
  if (git.commit) {
    const tree = await runGit(["ls-tree", "-r", "-z", git.commit], { cwd: root }).catch(() => Buffer.alloc(0));
    for (const record of tree.toString("utf8").split("\0")) {
      const m = /^160000 commit [0-9a-f]+\t([\s\S]+)$/.exec(record);
      if (m) found.add(m[1]!);
    }
  }
  if (git.patch && patchPath) {
    for (const path of parsePatchGitlinks(await readFile(patchPath, "latin1").catch(() => ""))) found.add(path);
  }
  return [...found].sort();
}

/** Paths that a `git diff` patch adds or changes as gitlinks ("new file mode 160000", "index a..b 160000"). */
export function parsePatchGitlinks(patch: string): string[] {
  const paths: string[] = [];
  let current: string | null = null;
  for (const line of patch.split("\n")) {
    const header = /^diff --git a\/.* b\/(.*)$/.exec(line);
    if (header) current = header[1]!;
    else if (current !== null && /^(new file mode|new mode|index [0-9a-f]+\.\.[0-9a-f]+) 160000$/.test(line)) {
      paths.push(current);
      current = null;
    }
  }
  return paths;
}
