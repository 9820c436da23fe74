import { EnvironmentError } from "../errors.js";

const WRITE_FAILURES: Readonly<Record<string, string>> = {
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
};

/**
 * A write under `folder` that the file system refused (full, over quota, read-only, not allowed) as
 * exit 3 with the next step; undefined for any other error.
 */
export function writeFailure(error: unknown, folder: string): EnvironmentError | undefined {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined;
  const what = code === undefined ? undefined : WRITE_FAILURES[code];
  if (what === undefined) return undefined;
  const full = code === "ENOSPC" || code === "EDQUOT";
  return new EnvironmentError(
    `cannot write under ${folder} (${code}): ${what}`,
    full ? "Free space there, or pass --out DIR on a disk with room." : "Pass --out DIR, a folder you can write.",
    { cause: error },
  );
}
