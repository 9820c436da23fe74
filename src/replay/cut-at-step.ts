// A pruned trial is judged on what it reported up to the step it was pruned at: the original went on a
// little after the pruner's decision (it reads the series every 200 ms, then stops the process), and the
// replay is stopped the same way, so neither run's tail after that step is comparable.
import type { MetricPoint, MetricValue, RunManifest } from "../record/types.js";

/** What a replay compares: both series, both sets of final values, and for a pruned trial where it was cut. */
export interface ComparedPoints {
  readonly original: readonly MetricPoint[];
  readonly replay: readonly MetricPoint[];
  readonly finals: { readonly original: Record<string, MetricValue>; readonly replay: Record<string, MetricValue> };
  /** For a pruned trial: its step, and whether the replay reported it (then it was stopped there too). */
  readonly pruned: { readonly step: number; readonly reached: boolean } | null;
}

/**
 * The points and final values a replay of `run` is judged on: all of them, or for a trial the search
 * pruned, those up to the step it was pruned at, the final values taken from them on both sides.
 */
export function pointsToCompare(
  run: RunManifest,
  original: readonly MetricPoint[],
  replay: readonly MetricPoint[],
  replayFinal: Record<string, MetricValue>,
): ComparedPoints {
  if (!run.pruned) return { original, replay, finals: { original: run.metrics?.final ?? {}, replay: replayFinal }, pruned: null };
  const { step, metric } = run.pruned;
  const cut = { original: cutAtStep(original, step), replay: cutAtStep(replay, step) };
  return {
    ...cut,
    finals: { original: finalValuesOf(cut.original), replay: finalValuesOf(cut.replay) },
    pruned: { step, reached: reachedStep(replay, metric, step) },
  };
}

/**
 * The points of a series up to `step`: every point with a step at or below it, and every point without
 * a step reported before the first point past it (all of them when none is past it).
 */
export function cutAtStep(points: readonly MetricPoint[], step: number): MetricPoint[] {
  const cutTime = points.reduce((t, p) => (p.step !== undefined && p.step > step && p.time < t ? p.time : t), Infinity);
  return points.filter((p) => (p.step === undefined ? p.time < cutTime : p.step <= step));
}

/** Each metric's final value, as the collector chooses it: its last point by time, the later line on a tie. */
export function finalValuesOf(points: readonly MetricPoint[]): Record<string, MetricValue> {
  const last = new Map<string, MetricPoint>();
  for (const p of points) {
    const known = last.get(p.name);
    if (!known || p.time >= known.time) last.set(p.name, p);
  }
  const final: Record<string, MetricValue> = {};
  for (const name of [...last.keys()].sort()) final[name] = last.get(name)!.value;
  return final;
}

/** Whether `metric` has a point at `step` or later: the replay came as far as the original was pruned at. */
export function reachedStep(points: readonly MetricPoint[], metric: string, step: number): boolean {
  return points.some((p) => p.name === metric && typeof p.step === "number" && p.step >= step);
}
