import { realpath } from "node:fs/promises";
import { isAbsolute, posix, relative, resolve, sep } from "node:path";
import { BadInputError } from "../errors.js";

/** A path as recorded: relative to the root, forward slashes; refuses anything outside the root. */
export async function toRecordedPath(root: string, cwd: string, given: string, flag: string): Promise<string> {
  const absolute = resolve(cwd, given);
  let real: string;
  try {
    real = await realpath(absolute);
  } catch (error) {
    throw new BadInputError(
      `${flag} ${given}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or folder" : (error as Error).message}`,
      "Check the path; it is resolved from the current folder.",
      { cause: error },
    );
  }
  return insideRoot(
    await realpath(root),
    real,
    `${flag} ${given}`,
    "Declare files inside the repository (a bundle stores them by their path in it).",
  );
}

/** A path that need not exist yet (an output, say), relative to the root by its text; outside the root is refused. */
export function lexicalRecordedPath(root: string, cwd: string, given: string, flag: string, hint: string): string {
  return insideRoot(root, resolve(cwd, given), `${flag} ${given}`, hint);
}

/** `absolute` relative to `root` with forward slashes, or exit 2 when it is the root itself or outside it. */
function insideRoot(root: string, absolute: string, what: string, hint: string): string {
  const rel = relative(root, absolute);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel))
    throw new BadInputError(`${what} is outside the repository root ${root}`, hint);
  return rel.split(sep).join("/");
}

/** A link stays inside its folder when its target, resolved from the link's place, does not climb out. */
export function linkStaysInside(rel: string, target: string): boolean {
  if (target.startsWith("/")) return false;
  const resolved = posix.normalize(posix.join(posix.dirname(rel), target));
  return resolved !== ".." && !resolved.startsWith("../");
}
