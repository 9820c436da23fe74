import { copyFile, lstat, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { GitExcluded, GitInfo } from "../record/types.js";
import { git, gitMaybe, gitToFile } from "./git.js";
import { probeTracked } from "./git-tracked.js";
import { sha256File } from "../primitives/hash-paths.js";
import { looksSecretContent, looksSecretFile, stripCredentials } from "../record/redact.js";

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
  /** Told what the record cannot hold: submodule changes, committed secrets. */
  warn: (line: string) => void;
}

/**
 * Commit, branch, remote (credentials stripped), dirty flag, and a binary-safe patch from the commit
 * to the working tree, untracked non-ignored files included, that `git apply` takes on a clean
 * checkout of the commit. The user's index is never touched: a temporary GIT_INDEX_FILE is used.
 */
export async function probeGit(options: GitProbeOptions): Promise<GitInfo> {
  try {
    return await probeGitState(options);
  } catch (error) {
    throw explainGitFailure(error, options.root);
  }
}

/**
 * git's refusal of a repository owned by another user, with the fix; other failures as they are.
 * Without this the record only said "git ls-files failed", and the code state was lost unexplained.
 */
export function explainGitFailure(error: unknown, root: string): unknown {
  const text = error instanceof Error ? error.message : String(error);
  if (!/dubious ownership/i.test(text)) return error;
  return new Error(
    `git refuses the repository at ${root}: detected dubious ownership (it belongs to another user). ` +
      `Fix: git config --global --add safe.directory ${root}`,
    { cause: error },
  );
}

async function probeGitState(options: GitProbeOptions): Promise<GitInfo> {
  const call = { cwd: options.root };
  // Independent questions in parallel: a git spawn costs ~10 ms, and capture waits for the slowest probe.
  const gitDir = await findGitDir(options.root);
  const head = await readFile(join(gitDir, "HEAD"), "utf8").catch(() => "");
  const [commit, remotes, untrackedRaw, tracked] = await Promise.all([
    readHeadCommit(gitDir, head).then((c) => c ?? gitMaybe(["rev-parse", "--verify", "-q", "HEAD^{commit}"], call)),
    gitMaybe(["config", "--get-regexp", "^remote\\..*\\.url$"], call),
    git(["ls-files", "--others", "--exclude-standard", "-z"], call),
    probeTracked(options.root),
  ]);
  for (const path of tracked.dirtySubmodules) options.warn(`submodule ${path} has uncommitted changes; pack cannot include them`);
  for (const path of tracked.secretFiles) {
    options.warn(`committed ${path} looks like a secret: it is in the git history already; pack leaves it out of the image and bundle`);
  }
  const branch = parseHeadBranch(head);
  const untracked = untrackedRaw
    .toString("utf8")
    .split("\0")
    .filter((p) => p && !p.startsWith(".mlx/"));
  const excluded = await findExcluded(options, untracked);

  const scratch = await mkdtemp(join(tmpdir(), "mlx-index-"));
  try {
    // A copy of the user's index, so that their staging is never touched, and files whose stat data
    // is unchanged are not hashed again (read-tree would hash every file of the tree).
    const env = { GIT_INDEX_FILE: join(scratch, "index") };
    await copyFile(join(gitDir, "index"), env.GIT_INDEX_FILE).catch(() => undefined); // none before the first `git add`
    // .mlx is left out by its own .gitignore (run-folder.ts); an exclude pathspec for it would fail
    // whenever the user also ignores it (git reports the ignored path as an error).
    const pathspecs = [".", ...excluded.map((e) => `:(exclude,top,literal)${e.path}`)];
    await git(["add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul"], {
      ...call,
      env,
      input: Buffer.from(pathspecs.join("\0") + "\0"),
    });
    const patchPath = join(options.recordFolder, PATCH_FILE);
    await gitToFile(
      [
        "diff",
        "--cached",
        "--binary",
        "--no-ext-diff",
        "--no-textconv",
        "--no-renames",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        commit ?? EMPTY_TREE,
      ],
      { ...call, env },
      patchPath,
    );
    const sizeBytes = (await stat(patchPath)).size;
    const patch = sizeBytes > 0 ? { file: PATCH_FILE, sha256: await sha256File(patchPath), sizeBytes } : null;
    if (!patch) await rm(patchPath, { force: true });
    return {
      commit,
      branch,
      remote: pickRemote(remotes),
      dirty: patch !== null || excluded.length > 0 || tracked.dirtySubmodules.length > 0,
      patch,
      excluded,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The git folder: .git, or where a .git file points (worktrees, submodules). */
async function findGitDir(root: string): Promise<string> {
  const dotGit = join(root, ".git");
  if ((await stat(dotGit)).isDirectory()) return dotGit;
  const pointer = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, "utf8"))?.[1]?.trim();
  if (!pointer) throw new Error(`${dotGit} is neither a folder nor a gitdir: file`);
  return resolve(root, pointer);
}

/** The branch from .git/HEAD ("ref: refs/heads/main"); null when HEAD is detached. */
export function parseHeadBranch(head: string): string | null {
  return /^ref:\s*refs\/heads\/(.+)$/.exec(head.trim())?.[1] ?? null;
}

/**
 * The commit HEAD points to, read from .git as git itself would (loose ref, then packed-refs):
 * a spawn saved. Undefined when unsure (reftable, odd layouts): the caller then asks git.
 */
async function readHeadCommit(gitDir: string, head: string): Promise<string | undefined> {
  const text = head.trim();
  if (/^[0-9a-f]{40}$/.test(text)) return text; // detached
  const ref = /^ref:\s*(refs\/\S+)$/.exec(text)?.[1];
  if (!ref) return undefined;
  // Worktrees keep HEAD in their own folder and refs in the common one.
  const common = await readFile(join(gitDir, "commondir"), "utf8").then(
    (d) => resolve(gitDir, d.trim()),
    () => gitDir,
  );
  const loose = (await readFile(join(common, ref), "utf8").catch(() => "")).trim();
  if (/^[0-9a-f]{40}$/.test(loose)) return loose;
  const packed = await readFile(join(common, "packed-refs"), "utf8").catch(() => "");
  const line = packed.split("\n").find((l) => l.endsWith(` ${ref}`));
  return line && /^[0-9a-f]{40} /.test(line) ? line.slice(0, 40) : undefined;
}

/** origin's URL, else the first remote's, from `git config --get-regexp` lines; credentials stripped. */
export function pickRemote(configLines: string | null): string | null {
  const urls = new Map<string, string>();
  for (const line of configLines?.split("\n") ?? []) {
    const m = /^remote\.(.+)\.url\s+(.*)$/.exec(line.trim());
    if (m) urls.set(m[1]!, m[2]!);
  }
  const url = urls.get("origin") ?? urls.values().next().value;
  return url === undefined ? null : stripCredentials(url);
}

async function findExcluded(options: GitProbeOptions, untracked: readonly string[]): Promise<GitExcluded[]> {
  const excluded: GitExcluded[] = [];
  for (const path of untracked) {
    if (!options.includeSecretFiles && (looksSecretFile(path) || (await looksSecretContent(join(options.root, path))))) {
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
