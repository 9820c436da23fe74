// What makes a run packable: pure checks of its record, before anything is read or built.

import { BadInputError } from "../errors.js";
import type { GitInfo, RunManifest } from "../record/types.js";
import { defaultNodeBaseImage, defaultPythonBaseImage } from "./base-image.js";

/**
 * A run is packable when it succeeded (or --allow-failed), ran inside git (pack takes the code from
 * git) and ran without a shell. Returns its code state, which pack snapshots.
 */
export function checkRunIsPackable(run: RunManifest, allowFailed: boolean): GitInfo {
  if (run.status !== "succeeded" && !allowFailed) {
    const what = run.status === "running" ? "never finished" : `is ${run.status}`;
    throw new BadInputError(
      `run ${run.id} ${what} (exit ${run.outcome?.exitCode ?? "-"})`,
      "Pack a run that succeeded, or pass --allow-failed to pack it anyway.",
    );
  }
  if (!run.git?.available) {
    throw new BadInputError(
      `run ${run.id} has no code state: ${run.git?.reason ?? "git was not probed"}`,
      "Capture the run inside a git repository: mlx pack takes the code from git.",
    );
  }
  if (run.command.shell) {
    throw new BadInputError(`run ${run.id} ran through a shell (--shell)`, "Capture the command without --shell to pack it.");
  }
  return run.git;
}

/** The base image pinned to the captured Python (for a Python run) or node version, unless --base-image chose one. */
export function defaultBaseImage(run: RunManifest): string {
  if (run.python?.available) return defaultPythonBaseImage(run.python.version);
  const node = run.runtimes?.node;
  if (!node)
    throw new BadInputError(`run ${run.id} recorded no node version to pin the base image to`, "Choose one with --base-image IMAGE.");
  return defaultNodeBaseImage(node);
}

/** What "the same code" means: the commit and the patch on it. */
export function codeKey(run: RunManifest): string {
  return run.git?.available ? `${run.git.commit} ${run.git.patch?.sha256 ?? "clean"}` : "no git";
}

/** One image serves every trial of a group only when every trial ran the same code as the best. */
export function checkSameCode(primary: RunManifest, trials: readonly RunManifest[]): void {
  for (const trial of trials) {
    if (codeKey(trial) !== codeKey(primary)) {
      throw new BadInputError(
        `trial run ${trial.id} ran other code (${codeKey(trial)}) than the best trial (${codeKey(primary)})`,
        "A group bundle holds one image: pack the trials separately, by run id.",
      );
    }
  }
}
