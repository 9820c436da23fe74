import { bestBy } from "../metrics/best-trial.js";
import type { GroupManifest } from "../record/types.js";
import { spearman } from "./rank-correlation.js";
import type { GroupSummary, ReplayReport } from "../record/types.js";

/**
 * For a group: each replayed trial's objective, whether the best is still the best (null when the
 * best was not replayed or fewer than two trials scored) and the rank correlation of original and
 * replayed objectives (null below two pairs). `reports[k]` is the replay of trial `indexes[k]`.
 */
export function summarizeGroup(group: GroupManifest, indexes: readonly number[], reports: readonly ReplayReport[]): GroupSummary {
  const metric = group.spec.metric;
  const trials = indexes.map((index, k) => {
    const report = reports[k]!;
    const row = report.metrics.find((m) => m.name === metric.name);
    return { index, run: report.run, verdict: report.verdict, original: numberOrNull(row?.original), replay: numberOrNull(row?.replay) };
  });
  const scored = trials.filter((t) => t.replay !== null);
  const replayBest = bestBy(trials, (t) => t.replay, metric.direction)?.index ?? null;
  const best = group.best?.index ?? null;
  const stillBest = best === null || !indexes.includes(best) || scored.length < 2 ? null : replayBest === best;
  const paired = trials.flatMap((t) => (t.original !== null && t.replay !== null ? [{ original: t.original, replay: t.replay }] : []));
  return {
    id: group.id,
    metric: metric.name,
    trials,
    best: { original: best, replay: replayBest, stillBest },
    spearman:
      paired.length >= 2
        ? spearman(
            paired.map((p) => p.original),
            paired.map((p) => p.replay),
          )
        : null,
  };
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}
