// A trial's own copy of the working tree, so that concurrent trials never see or overwrite each other's
// files. It lies under the record root (.mlx/work/<group>/<trial>-<attempt>/), on the same filesystem as
// the tree (a cluster's compute nodes share it), and holds what the packed code holds: the files git
// tracks plus the untracked, non-ignored ones. Declared inputs are hard-linked in (big data is not
// copied; a trial must not write into its inputs). Ignored folders such as node_modules are not copied:
// Node finds the tree's own by walking up from the copy, which lies inside the tree.
import { constants } from "node:fs";
import { copyFile, link, lstat, mkdir, readdir, readlink, rm, symlink } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { EnvironmentError, describeError } from "../errors.js";
import { runProcess } from "../primitives/run-process.js";

/** Files copied at once: enough to hide the latency of small files, few enough to stay under open-file limits. */
const COPY_CONCURRENCY = 32;
/** Never copied from a tree that is not a git repository. */
const SKIPPED_OUTSIDE_GIT = new Set([".mlx", ".git", "node_modules"]);

export function trialWorkdirPath(root: string, groupId: string, trial: number, attempt: number): string {
  return join(root, ".mlx", "work", groupId, `${trial}-${attempt}`);
}

/** The files a trial's copy holds, relative to root and "/"-separated: listed once for the whole search. */
export async function listTreeFiles(root: string, inGit: boolean): Promise<string[]> {
  if (!inGit) return walk(root, "");
  const listed = await runProcess("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate"], {
    cwd: root,
    maxBufferBytes: 512 * 1024 * 1024,
  });
  if (listed.code !== 0) {
    const why = listed.error ? describeError(listed.error) : listed.stderr.trim();
    throw new EnvironmentError(
      `cannot list the files of ${root} for the trials' copies: git ls-files ${why}`,
      "Check that git works in this repository (git status).",
    );
  }
  return listed.stdout
    .toString("utf8")
    .split("\0")
    .filter((p) => p !== "" && !p.startsWith(".mlx/"));
}

/**
 * Makes the copy at `dest`: every listed file (copy-on-write where the filesystem offers it), then the
 * declared inputs not already there, hard-linked (a copy across devices). A file listed but gone from
 * the tree (deleted, not yet committed) is skipped, as git would leave it out.
 */
export async function createTrialWorkdir(root: string, files: readonly string[], inputs: readonly string[], dest: string): Promise<void> {
  // An input outside the tree is not linked anywhere: capture refuses it, naming it.
  const linked = inputs.filter((i) => i !== "" && i !== ".." && !i.startsWith("../") && !isAbsolute(i));
  const underInput = (file: string): boolean => linked.some((i) => file === i || file.startsWith(`${i}/`));
  try {
    await mkdir(dest, { recursive: true });
    const tree: Tree = { root, dest, made: new Set<string>() };
    const queue = files.filter((f) => !underInput(f));
    const worker = async (): Promise<void> => {
      for (let file = queue.pop(); file !== undefined; file = queue.pop()) await copyEntry(join(root, file), join(dest, file), tree);
    };
    await Promise.all(Array.from({ length: COPY_CONCURRENCY }, worker));
    for (const input of linked) await linkTree(join(root, input), join(dest, input), tree);
  } catch (error) {
    throw new EnvironmentError(
      `cannot make a trial's working copy at ${dest}: ${describeError(error)}`,
      "Check free space and permissions under .mlx/work/.",
      { cause: error },
    );
  }
}

/** Removes a trial's copy; a failure only leaves a folder behind. */
export async function removeTrialWorkdir(dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true }).catch(() => undefined);
}

/** The tree being copied, the copy, and the folders already made in it. */
interface Tree {
  root: string;
  dest: string;
  made: Set<string>;
}

async function ensureParent(path: string, tree: Tree): Promise<void> {
  const parent = dirname(path);
  if (tree.made.has(parent)) return;
  await mkdir(parent, { recursive: true });
  tree.made.add(parent);
}

/**
 * A link into the tree points at the same place in the copy (a trial never writes through it into the
 * tree or another trial's copy); a link out of the tree points where the original pointed.
 */
async function copyLink(from: string, to: string, tree: Tree): Promise<void> {
  const target = resolve(dirname(from), await readlink(from));
  const inTree = relative(tree.root, target);
  const inside = inTree === "" || (!inTree.startsWith(`..${sep}`) && inTree !== ".." && !isAbsolute(inTree));
  await symlink(inside ? relative(dirname(to), join(tree.dest, inTree)) || "." : target, to);
}

async function copyEntry(from: string, to: string, tree: Tree): Promise<void> {
  const info = await lstat(from).catch(() => undefined);
  if (!info) return;
  await ensureParent(to, tree);
  if (info.isSymbolicLink()) await copyLink(from, to, tree);
  else if (info.isFile()) await copyFile(from, to, constants.COPYFILE_FICLONE);
  else if (info.isDirectory())
    for (const name of await readdir(from)) if (name !== ".git") await copyEntry(join(from, name), join(to, name), tree);
}

async function linkTree(from: string, to: string, tree: Tree): Promise<void> {
  const info = await lstat(from).catch(() => undefined);
  if (!info) return;
  await ensureParent(to, tree);
  if (info.isDirectory()) {
    for (const name of await readdir(from)) await linkTree(join(from, name), join(to, name), tree);
  } else if (info.isSymbolicLink()) {
    await copyLink(from, to, tree).catch(() => undefined);
  } else if (info.isFile()) {
    await link(from, to).catch(async (error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
      await copyFile(from, to, constants.COPYFILE_FICLONE);
    });
  }
}

/** Every file under `dir` outside the skipped folders, for a tree without git. */
async function walk(root: string, rel: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!(rel === "" && SKIPPED_OUTSIDE_GIT.has(entry.name)) && entry.name !== "node_modules") found.push(...(await walk(root, path)));
    } else found.push(path);
  }
  return found;
}
