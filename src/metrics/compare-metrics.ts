import type { MetricPoint, MetricRow, MetricValue, SeriesDivergence } from "../record/types.js";

export type { MetricRow, SeriesDivergence };

export interface Tolerance {
  rtol: number;
  atol: number;
  /** Recorded per-metric tolerances (capture's `tolerances:`), over the defaults. */
  perMetric: Readonly<Record<string, { rtol?: number; atol?: number }>>;
  /** Set when the reviewer gave --rtol/--atol: integers are then compared with it too. */
  explicit: boolean;
}

export const DEFAULT_TOLERANCE: Tolerance = { rtol: 1e-6, atol: 0, perMetric: {}, explicit: false };

/** The run's recorded per-metric tolerances under the ones the reviewer gave (theirs win, metric by metric). */
export function withRecordedTolerances(tolerance: Tolerance, recorded: Tolerance["perMetric"] | undefined): Tolerance {
  return { ...tolerance, perMetric: { ...(recorded ?? {}), ...tolerance.perMetric } };
}

export type RowVerdict = MetricRow["verdict"];

export interface Comparison {
  rows: MetricRow[];
  reproduced: boolean;
}

/**
 * Metric by metric: integers must be equal unless a tolerance is given; floats within
 * atol + rtol * |original|. NaN is never within tolerance (not even NaN against NaN), a metric
 * missing from the replay is not a pass, and one only the replay has is listed as extra.
 */
export function compareMetrics(
  original: Readonly<Record<string, MetricValue>>,
  replay: Readonly<Record<string, MetricValue>>,
  tolerance: Tolerance = DEFAULT_TOLERANCE,
  only: readonly string[] = [],
): Comparison {
  const names = only.length > 0 ? [...only] : [...new Set([...Object.keys(original), ...Object.keys(replay)])].sort();
  // Own keys only: a metric named "constructor" or "toString" must not find Object.prototype's.
  const valueOf = (values: Readonly<Record<string, MetricValue>>, name: string): MetricValue | null =>
    Object.hasOwn(values, name) ? values[name]! : null;
  const rows = names.map((name) => compareOne(name, valueOf(original, name), valueOf(replay, name), tolerance));
  // Nothing to compare is vacuously reproduced; the replay report warns about it.
  return { rows, reproduced: rows.every((r) => r.verdict === "same" || r.verdict === "within") };
}

function compareOne(name: string, a: MetricValue | null, b: MetricValue | null, tolerance: Tolerance): MetricRow {
  const row = { name, original: a, replay: b, absDiff: null, relDiff: null };
  if (a === null && b === null) return { ...row, verdict: "missing", reason: "in neither run" };
  if (b === null) return { ...row, verdict: "missing", reason: "not reported by the replay" };
  if (a === null) return { ...row, verdict: "extra", reason: "only the replay reported it" };
  if (a === "NaN" || b === "NaN") return { ...row, verdict: "diverged", reason: "NaN is never within tolerance" };
  if (typeof a === "string" || typeof b === "string") {
    return a === b ? { ...row, verdict: "same" } : { ...row, verdict: "diverged", reason: "infinite value differs" };
  }
  const absDiff = Math.abs(a - b);
  const relDiff = a === 0 ? (b === 0 ? 0 : Infinity) : absDiff / Math.abs(a);
  const diffs = { absDiff, relDiff };
  if (a === b) return { ...row, ...diffs, verdict: "same" };
  const own = Object.hasOwn(tolerance.perMetric, name) ? tolerance.perMetric[name] : undefined;
  const rtol = own?.rtol ?? tolerance.rtol;
  const atol = own?.atol ?? tolerance.atol;
  if (Number.isInteger(a) && Number.isInteger(b) && !own && !tolerance.explicit) {
    return { ...row, ...diffs, verdict: "diverged", reason: "integers must be equal" };
  }
  return absDiff <= atol + rtol * Math.abs(a)
    ? { ...row, ...diffs, verdict: "within" }
    : { ...row, ...diffs, verdict: "diverged", reason: `beyond atol ${atol} + rtol ${rtol}` };
}

/** For each metric with steps in both runs: the first step whose values do not agree. */
export function compareSeries(
  original: readonly MetricPoint[],
  replay: readonly MetricPoint[],
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): SeriesDivergence[] {
  const byStep = (points: readonly MetricPoint[]): Map<string, Map<number, MetricValue>> => {
    const out = new Map<string, Map<number, MetricValue>>();
    for (const p of points) if (p.step !== undefined) (out.get(p.name) ?? out.set(p.name, new Map()).get(p.name)!).set(p.step, p.value);
    return out;
  };
  const a = byStep(original);
  const b = byStep(replay);
  const found: SeriesDivergence[] = [];
  for (const [name, steps] of [...a].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const other = b.get(name);
    if (!other) continue;
    const lengths: [number, number] | undefined = steps.size !== other.size ? [steps.size, other.size] : undefined;
    for (const step of [...steps.keys()].sort((x, y) => x - y)) {
      const va = steps.get(step)!;
      const vb = other.get(step);
      if (vb === undefined) continue;
      const row = compareOne(name, va, vb, tolerance);
      if (row.verdict === "diverged") {
        found.push({ name, step, original: va, replay: vb, ...(lengths ? { lengths } : {}) });
        break;
      }
    }
  }
  return found;
}
