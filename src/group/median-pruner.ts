// The median stopping rule, as Optuna's MedianPruner defines it (a PercentilePruner at the 50th
// percentile): a running trial is pruned when its best intermediate value so far is worse than the
// median of the completed trials' intermediate values at the same step.
// https://optuna.readthedocs.io/en/stable/reference/generated/optuna.pruners.MedianPruner.html

export interface MedianPruner {
  readonly type: "median";
  /** No pruning until this many trials have completed (pruned and failed trials do not count). */
  readonly nStartupTrials: number;
  /** No pruning before a trial reaches this step (steps count from 0). */
  readonly nWarmupSteps: number;
  /** Steps between checks, counted from the warm-up; a check with no value at its step waits for the next value. */
  readonly intervalSteps: number;
  /** Fewer completed trials than this with a value at the step: no pruning there. */
  readonly nMinTrials: number;
}

export type Pruner = { readonly type: "none" } | MedianPruner;

/** Optuna's defaults. */
export const MEDIAN_DEFAULTS: MedianPruner = { type: "median", nStartupTrials: 5, nWarmupSteps: 0, intervalSteps: 1, nMinTrials: 1 };

/** Intermediate values by step. */
export type StepValues = ReadonlyMap<number, number>;

export interface PruneDecision {
  readonly prune: boolean;
  /** The step the decision was taken at, and the trial's best value up to it. */
  readonly step: number;
  readonly value: number;
}

/**
 * Should a trial stop now, its last reported step being the largest key of `trial`? Pure; mirrors
 * Optuna's PercentilePruner.prune with percentile 50, NaN as Optuna treats it (a NaN best prunes).
 */
export function decidePrune(
  pruner: MedianPruner,
  direction: "maximize" | "minimize",
  trial: StepValues,
  completed: readonly StepValues[],
): PruneDecision | null {
  if (completed.length === 0 || completed.length < pruner.nStartupTrials || trial.size === 0) return null;
  const steps = [...trial.keys()];
  const step = Math.max(...steps);
  if (step < pruner.nWarmupSteps) return null;
  if (!firstInInterval(step, steps, pruner.nWarmupSteps, pruner.intervalSteps)) return null;
  const values = [...trial.values()].filter((v) => !Number.isNaN(v));
  const best = values.length === 0 ? NaN : direction === "maximize" ? Math.max(...values) : Math.min(...values);
  if (Number.isNaN(best)) return { prune: true, step, value: best };
  const atStep = completed.flatMap((c) => (c.has(step) ? [c.get(step)!] : []));
  if (atStep.length < pruner.nMinTrials) return null;
  const median = medianOf(atStep);
  if (Number.isNaN(median)) return null;
  return { prune: direction === "maximize" ? best < median : best > median, step, value: best };
}

/** The check at `step` is the first one of its interval: no earlier reported step has reached the interval's start. */
function firstInInterval(step: number, steps: readonly number[], warmup: number, interval: number): boolean {
  const lowest = Math.floor((step - warmup) / interval) * interval + warmup;
  const secondLast = steps.reduce((acc, s) => (s > acc && s !== step ? s : acc), -1);
  return secondLast < lowest;
}

/** numpy's nanpercentile(values, 50) with linear interpolation: the middle value, or the mean of the two middle ones. */
export function medianOf(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = (sorted.length - 1) / 2;
  return (sorted[Math.floor(mid)]! + sorted[Math.ceil(mid)]!) / 2;
}

/** A trial's intermediate values for one metric from its series points: the last value reported at a step wins. */
export function stepValuesOf(points: ReadonlyArray<{ name: string; value: unknown; step?: number }>, metric: string): Map<number, number> {
  const byStep = new Map<number, number>();
  for (const p of points) {
    if (p.name !== metric || typeof p.step !== "number") continue;
    byStep.set(p.step, typeof p.value === "number" ? p.value : Number(p.value));
  }
  return byStep;
}

/** The values of `trial` up to and including `step`: what the trial had reported when that step came in. */
export function valuesUpTo(trial: StepValues, step: number): Map<number, number> {
  return new Map([...trial].filter(([s]) => s <= step));
}
