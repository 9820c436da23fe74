// The files a pack reads and writes, checked cheaply before the image is built.

import { constants } from "node:fs";
import { access, lstat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BadInputError, describeError, EnvironmentError } from "../errors.js";
import { lexicalRecordedPath } from "../primitives/paths.js";
import type { HashedFile, RunManifest } from "../record/types.js";

/** The output is new (or --force replaces it) and its folder is writable. */
export async function checkOutput(output: string, force: boolean): Promise<void> {
  const exists = await lstat(output).then(
    () => true,
    () => false,
  );
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

/** An --include path, relative to the repository root: it must exist and stay inside the repository. */
export async function checkIncluded(root: string, cwd: string, given: string): Promise<string> {
  const rel = lexicalRecordedPath(root, cwd, given, "--include", "Include files inside the repository only.");
  if (!(await lstat(join(root, rel)).catch(() => undefined)))
    throw new BadInputError(`--include ${given}: no such file or folder`, "Check the path.");
  return rel;
}
