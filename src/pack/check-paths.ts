// The files a pack reads and writes, checked cheaply before the image is built.

import { constants } from "node:fs";
import { access, lstat, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { entryProblem, memberKey } from "../bundle/read-bundle.js";
import { BadInputError, describeError, EnvironmentError } from "../errors.js";
import { lexicalRecordedPath } from "../primitives/paths.js";
import type { HashedFile, RunManifest } from "../record/types.js";

/** The output is new (or --force replaces it, when it is a file) and its folder is writable. */
export async function checkOutput(output: string, force: boolean): Promise<void> {
  const info = await stat(output).catch(() => undefined);
  const exists =
    info !== undefined ||
    (await lstat(output).then(
      () => true,
      () => false,
    ));
  // Checked first: --force replaces a file, never a folder (the rename at the end would fail after the whole build).
  if (info?.isDirectory())
    throw new BadInputError(`${output} is a folder`, "Give the bundle's file path with -o, such as -o " + join(output, "bundle.tar") + ".");
  if (exists && !force) throw new BadInputError(`${output} exists`, "Pass --force to replace it, or choose another path with -o.");
  try {
    await access(dirname(output), constants.W_OK);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? describeError(error);
    throw new EnvironmentError(`cannot write in ${dirname(output)}: ${why}`, "Choose a writable folder with -o.", { cause: error });
  }
}

/**
 * The declared inputs, file by file and sorted, after a cheap check (present, same size): their
 * sha256 is checked while they are written into the bundle.
 */
export async function checkInputs(root: string, run: RunManifest): Promise<HashedFile[]> {
  const files = run.inputs.flatMap((i) =>
    i.kind === "dir" ? (i.files ?? []) : [{ path: i.path, sizeBytes: i.sizeBytes, sha256: i.sha256 }],
  );
  const hint = "Restore the data the run read, or capture it again.";
  for (const file of files) {
    const info = await lstat(join(root, file.path)).catch(() => undefined);
    if (!info?.isFile()) throw new BadInputError(`input ${file.path} of run ${run.id} is missing`, hint);
    if (info.size !== file.sizeBytes) {
      throw new BadInputError(`input ${file.path} changed since capture: ${info.size} bytes, recorded ${file.sizeBytes}`, hint);
    }
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** An --include path, relative to the repository root: it must exist, stay inside the repository, and not be git's own. */
export async function checkIncluded(root: string, cwd: string, given: string): Promise<string> {
  const rel = lexicalRecordedPath(root, cwd, given, "--include", "Include files inside the repository only.");
  if (rel.split("/").includes(".git")) {
    throw new BadInputError(
      `--include ${given}: git's own folder is never packed (it holds remotes with credentials, hooks, the whole history)`,
      "Include the files the run needs, not .git.",
    );
  }
  if (!(await lstat(join(root, rel)).catch(() => undefined)))
    throw new BadInputError(`--include ${given}: no such file or folder`, "Check the path.");
  return rel;
}

/**
 * Every member name the bundle will have passes the same name rules as the reader's (replay would
 * refuse the bundle otherwise).
 */
export function checkMemberNames(names: readonly string[]): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    // The reader's collision rule: one name up to Unicode form and case.
    const key = memberKey(name);
    const twin = seen.get(key);
    seen.set(key, name);
    const collides =
      twin !== undefined && twin !== name ? `it collides with ${JSON.stringify(twin)} (same name up to Unicode form or case)` : null;
    const why = collides ?? entryProblem(name, { type: "File", mode: 0o644 });
    if (why) {
      throw new BadInputError(
        `cannot pack ${JSON.stringify(name)}: ${why}, which a reviewer's mlx replay refuses`,
        "Rename the file (git mv), commit, and capture the run again.",
      );
    }
  }
}

/** A submodule's content is not in the superproject's commit: each must be --include'd (its files as they are now). */
export function checkSubmodulesIncluded(submodules: readonly string[], includes: readonly string[]): void {
  const missing = submodules.filter((s) => !includes.some((i) => s === i || s.startsWith(`${i}/`)));
  if (missing.length === 0) return;
  throw new BadInputError(
    `the run's repository has submodules whose content pack cannot take from git: ${missing.join(", ")}`,
    `Vendor them (commit their files in this repository), or ship their files as they are now: ${missing
      .map((m) => `--include ${m}`)
      .join(" ")}.`,
  );
}
