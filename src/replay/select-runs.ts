import { BadInputError } from "../errors.js";
import { REDACTED } from "../record/redact.js";
import type { GroupManifest, RunManifest } from "../record/types.js";

/** For group bundles: the best trial, one trial's index, or all of them. */
export type TrialChoice = "best" | "all" | number;

export interface SelectedRun {
  run: RunManifest;
  /** The trial's index in its group; 0 for a single-run bundle. */
  index: number;
}

/**
 * Which runs to replay: the run of a single-run bundle; for a group the best trial, one (--trial N),
 * or all. A run whose recorded command has redacted secrets cannot be replayed: exit 2.
 */
export function selectRuns(runs: readonly RunManifest[], group: GroupManifest | null, trials: TrialChoice): SelectedRun[] {
  const selected = group ? selectTrials(runs, group, trials) : selectSingle(runs, trials);
  for (const { run } of selected) {
    if (run.command.redactedArgs.length > 0) {
      const which = run.command.redactedArgs.map((i) => `argv[${i}]`).join(", ");
      throw new BadInputError(
        `the recorded command of run ${run.id} has redacted secrets (${which}); replay cannot supply them`,
        "Ask the author for a run captured without secrets on the command line (pass them in the environment instead).",
      );
    }
    const params = redactedParams(run.params);
    if (params.length > 0) {
      throw new BadInputError(
        `the recorded params of run ${run.id} have redacted secrets (${params.join(", ")}); replay cannot supply them`,
        "Ask the author for a run captured without secrets in its params (pass them in the environment instead).",
      );
    }
  }
  return selected;
}

/** Where capture stored "***" in place of a secret param, as dotted paths. */
function redactedParams(value: unknown, prefix = ""): string[] {
  if (value === REDACTED) return [prefix];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) =>
    redactedParams(v, Array.isArray(value) ? `${prefix}[${k}]` : prefix ? `${prefix}.${k}` : k),
  );
}

function selectSingle(runs: readonly RunManifest[], trials: TrialChoice): SelectedRun[] {
  if (trials !== "best")
    throw new BadInputError("--trial and --all are for group bundles; this bundle holds one run", "Replay it without them.");
  const run = runs[0];
  if (!run) throw new BadInputError("the bundle holds no run", "The bundle is corrupt; ask for a new one.");
  return [{ run, index: 0 }];
}

function selectTrials(runs: readonly RunManifest[], group: GroupManifest, trials: TrialChoice): SelectedRun[] {
  const byId = new Map(runs.map((r) => [r.id, r]));
  const withRuns = group.trials.flatMap((t) => {
    const run = t.runId ? byId.get(t.runId) : undefined;
    return run ? [{ index: t.index, run }] : [];
  });
  const pick = (index: number): SelectedRun => {
    const found = withRuns.find((t) => t.index === index);
    if (!found)
      throw new BadInputError(`group ${group.id} has no recorded trial ${index}`, `Trials: ${withRuns.map((t) => t.index).join(", ")}.`);
    return found;
  };
  if (trials === "all") return withRuns;
  if (trials === "best") {
    if (!group.best) throw new BadInputError(`group ${group.id} has no best trial`, "Replay one with --trial N.");
    return [pick(group.best.index)];
  }
  return [pick(trials)];
}
