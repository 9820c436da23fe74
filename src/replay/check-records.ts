import { posix } from "node:path";
import { BadInputError } from "../errors.js";
import type { BundleManifest, RunManifest } from "../record/types.js";

const CORRUPT = "Do not use this bundle; ask its author for a new one.";

// ':' splits a Docker bind (host:container:mode), ',' a --mount list, and a newline a log or a line
// of output: a recorded path holding one could mount something else than it names.
const BIND_UNSAFE = /[:,\n\r\0]/;

/**
 * Checks that the verified records agree with bundle.yaml and ask for nothing the replay cannot do
 * safely, before anything is loaded or run: each record is the run bundle.yaml names, its command is
 * not empty, its outputs are distinct, and no data, output or metrics path would break a bind mount.
 * A bundle that fails is bad input (exit 2).
 */
export function checkRecords(manifest: BundleManifest, runs: readonly RunManifest[]): void {
  for (const d of manifest.data) checkPath(d.path, "data");
  manifest.runs.forEach((id, i) => {
    const run = runs[i];
    if (!run || run.id !== id)
      throw new BadInputError(`bundle.yaml names run ${id}, but its record says it is run ${run?.id ?? "(none)"}`, CORRUPT);
    if (run.command.argv.length === 0 || !run.command.argv[0]) throw new BadInputError(`run ${id} records no command`, CORRUPT);
    const seen: string[] = [];
    for (const o of run.outputs) {
      checkPath(o.path, `run ${id}'s output`);
      // Compared as the mount sees them: "model//w.json" and "./model/w.json" are "model/w.json".
      const path = posix.normalize(o.path).replace(/\/$/, "");
      if (path !== o.path) throw new BadInputError(`run ${id}'s output ${JSON.stringify(o.path)} is not written plainly`, CORRUPT);
      const other = seen.find((p) => p === path || path.startsWith(`${p}/`) || p.startsWith(`${path}/`));
      if (other !== undefined)
        throw new BadInputError(
          other === path ? `run ${id} declares the output ${path} twice` : `run ${id}'s outputs ${other} and ${path} overlap`,
          CORRUPT,
        );
      seen.push(path);
    }
    for (const file of run.metrics?.files ?? []) checkPath(file, `run ${id}'s metrics file`);
    checkPath(run.command.cwd, `run ${id}'s working folder`);
  });
}

function checkPath(path: string, what: string): void {
  if (BIND_UNSAFE.test(path))
    throw new BadInputError(
      `the bundle's ${what} ${JSON.stringify(path)} holds ':', ',' or a line break, which no mount can carry`,
      CORRUPT,
    );
}
