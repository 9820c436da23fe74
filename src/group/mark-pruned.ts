// A pruned trial's run record says so: tagged `pruned`, a warning, and `pruned` with the metric, the step
// the pruner decided at and the trial's best value then.
import { readRun, writeRun } from "../record/run-store.js";
import type { RunManifest } from "../record/types.js";
import type { PrunedAt } from "./prune-watch.js";

/** A metric value as records hold it: non-finite numbers as strings (YAML and JSON lack them). */
export function recordedValue(value: number): number | "NaN" | "Infinity" | "-Infinity" {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

/** Rewrites the trial's run record with `pruned` set; returns the record as written. */
export async function markPruned(folder: string, metric: string, at: PrunedAt): Promise<RunManifest> {
  const run = await readRun(folder);
  const marked: RunManifest = {
    ...run,
    tags: run.tags.includes("pruned") ? run.tags : [...run.tags, "pruned"],
    pruned: { metric, step: at.step, value: recordedValue(at.value) },
    warnings: [...run.warnings, `pruned by the search at step ${at.step} (${metric} best so far ${at.value}): stopped early on purpose`],
  };
  await writeRun(folder, marked);
  return marked;
}
