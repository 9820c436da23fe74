import { copyFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { gitIn, makeRepo } from "./git-repo.js";

export const EXAMPLE = new URL("../../examples/iris/", import.meta.url).pathname;

/** A temp git repository holding the iris example, committed, with its installed node_modules linked in. */
export async function makeExampleRepo(extra: Record<string, string> = {}) {
  const repo = await makeRepo({ ".gitignore": "node_modules\nmodel/\nmetrics.json\n*.tar\n", ...extra });
  for (const file of ["train.js", "package.json", "package-lock.json", "run.yaml"])
    copyFileSync(join(EXAMPLE, file), join(repo.path, file));
  symlinkSync(join(EXAMPLE, "node_modules"), join(repo.path, "node_modules"));
  gitIn(repo.path, "add", "-A");
  gitIn(repo.path, "commit", "-qm", "iris");
  return repo;
}
