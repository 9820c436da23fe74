import { lstat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { describeError } from "../errors.js";
import { findUnsafeEntries, hashPath } from "../primitives/hash-paths.js";
import { sha256RegularFile } from "../primitives/read-untrusted.js";
import type { HashedFile, RunManifest } from "../record/types.js";
import type { OutputRow } from "../record/types.js";

/**
 * Each declared output of `run` against the replay's copy at `hosts.get(path)`. Nothing is followed:
 * the output is looked at with lstat, and a link or special file the run planted (itself or inside
 * a folder) is reported as unsafe and never read. A file output is hashed through one handle opened
 * without following links, and only up to `maxBytes` (the container's own file size limit).
 */
export async function compareOutputs(run: RunManifest, hosts: ReadonlyMap<string, string>, maxBytes: number): Promise<OutputRow[]> {
  const rows: OutputRow[] = [];
  for (const original of run.outputs) {
    const row = { path: original.path, original: original.sha256 };
    const host = hosts.get(original.path)!;
    const info = await lstat(host).catch(() => undefined);
    if (!info) {
      rows.push({ ...row, replay: null, verdict: "missing" });
      continue;
    }
    try {
      const unsafe = info.isDirectory() ? await findUnsafeEntries(host) : info.isFile() ? [] : ["(the output itself)"];
      if (unsafe.length > 0) {
        rows.push({ ...row, replay: null, verdict: "unsafe", reason: `not regular files, never read: ${unsafe.slice(0, 5).join(", ")}` });
        continue;
      }
      if (info.isFile()) {
        const sha256 = await sha256RegularFile(host, maxBytes);
        rows.push({ ...row, replay: sha256, verdict: sha256 === original.sha256 ? "same" : "different" });
        continue;
      }
      const hashed = await hashPath(dirname(host), basename(host));
      const same = hashed.sha256 === original.sha256 || sameFolder(original.files, hashed.files, original.path, basename(host));
      rows.push({ ...row, replay: hashed.sha256, verdict: same ? "same" : "different" });
    } catch (error) {
      rows.push({ ...row, replay: null, verdict: "unsafe", reason: describeError(error) });
    }
  }
  return rows;
}

/**
 * Whether two hashed folders hold the same files. A folder's digest covers its files' paths, and the
 * replay's copy lies under another path, so the lists are compared with each one's prefix removed.
 */
export function sameFolder(
  a: readonly HashedFile[] | undefined,
  b: readonly HashedFile[] | undefined,
  prefixA: string,
  prefixB: string,
): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((f, i) => f.sha256 === b[i]!.sha256 && f.path.slice(prefixA.length) === b[i]!.path.slice(prefixB.length));
}
