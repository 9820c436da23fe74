import { lstat, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GitExcluded, GitInfo } from "../manifest/types.js";
import { git, gitMaybe, gitToFile } from "./git.js";
import { sha256File } from "./hash-paths.js";
import { looksSecretFile, stripCredentials } from "./redact.js";

export const EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
export const PATCH_FILE = "git.patch";

export interface GitProbeOptions {
  root: string;
  /** The record folder: the patch is written there. */
  recordFolder: string;
  /** Untracked files larger than this are recorded by sha256 and size, not put in the patch. */
  maxUntrackedBytes: number;
  /** Put untracked files that look like secrets (.env, id_rsa, *.pem) in the patch anyway. */
  includeSecretFiles: boolean;
}

/**
 * Commit, branch, remote (credentials stripped), dirty flag, and a binary-safe patch from the commit
 * to the working tree, untracked non-ignored files included, that `git apply` takes on a clean
 * checkout of the commit. The user's index is never touched: a temporary GIT_INDEX_FILE is used.
 */
export async function probeGit(options: GitProbeOptions): Promise<GitInfo> {
  const call = { cwd: options.root };
  const commit = await gitMaybe(["rev-parse", "--verify", "-q", "HEAD^{commit}"], call);
  const [branch, remote, untrackedRaw] = await Promise.all([
    gitMaybe(["symbolic-ref", "--short", "-q", "HEAD"], call),
    firstRemoteUrl(options.root),
    git(["ls-files", "--others", "--exclude-standard", "-z"], call),
  ]);
  const untracked = untrackedRaw.toString("utf8").split("\0").filter((p) => p && !p.startsWith(".mlx/"));
  const excluded = await findExcluded(options, untracked);

  const scratch = await mkdtemp(join(tmpdir(), "mlx-index-"));
  try {
    const env = { GIT_INDEX_FILE: join(scratch, "index") };
    await git(commit ? ["read-tree", commit] : ["read-tree", "--empty"], { ...call, env });
    const pathspecs = [".", ":(exclude,top).mlx", ...excluded.map((e) => `:(exclude,top,literal)${e.path}`)];
    await git(["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"], {
      ...call,
      env,
      input: Buffer.from(pathspecs.join("\0") + "\0"),
    });
    const patchPath = join(options.recordFolder, PATCH_FILE);
    await gitToFile(
      ["diff", "--cached", "--binary", "--no-ext-diff", "--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/", commit ?? EMPTY_TREE],
      { ...call, env },
      patchPath,
    );
    const sizeBytes = (await stat(patchPath)).size;
    const patch = sizeBytes > 0 ? { file: PATCH_FILE, sha256: await sha256File(patchPath), sizeBytes } : null;
    if (!patch) await rm(patchPath, { force: true });
    return {
      commit,
      branch,
      remote: remote === null ? null : stripCredentials(remote),
      dirty: patch !== null || excluded.length > 0,
      patch,
      excluded,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function firstRemoteUrl(root: string): Promise<string | null> {
  const names = (await gitMaybe(["remote"], { cwd: root }))?.split("\n").filter(Boolean) ?? [];
  const name = names.includes("origin") ? "origin" : names[0];
  return name ? gitMaybe(["remote", "get-url", name], { cwd: root }) : null;
}

async function findExcluded(options: GitProbeOptions, untracked: readonly string[]): Promise<GitExcluded[]> {
  const excluded: GitExcluded[] = [];
  for (const path of untracked) {
    if (!options.includeSecretFiles && looksSecretFile(path)) {
      excluded.push({ path, reason: "looks-secret" });
      continue;
    }
    const info = await lstat(join(options.root, path)).catch(() => undefined);
    if (info?.isFile() && info.size > options.maxUntrackedBytes) {
      excluded.push({ path, reason: "too-large", sizeBytes: info.size, sha256: await sha256File(join(options.root, path)) });
    }
  }
  return excluded;
}
