import { bestBy } from "../metrics/best-trial.js";
import type { GroupManifest } from "../record/types.js";
import { spearman } from "./rank-correlation.js";
import type { GroupSummary, ReplayReport } from "../record/types.js";

/**
 * For a group: each replayed trial's objective, whether the best is still the best (null when the
 * best was not replayed or fewer than two trials scored) and the rank correlation of original and
 * replayed objectives (null below two pairs). `reports[k]` is the replay of trial `indexes[k]`. A pruned
 * trial's objective is its value where it was cut short: listed, but neither ranked nor correlated.
 */
export function summarizeGroup(group: GroupManifest, indexes: readonly number[], reports: readonly ReplayReport[]): GroupSummary {
  const metric = group.spec.metric;
  const trials = indexes.map((index, k) => {
    const report = reports[k]!;
    const row = report.metrics.find((m) => m.name === metric.name);
    return { index, run: report.run, verdict: report.verdict, original: numberOrNull(row?.original), replay: numberOrNull(row?.replay) };
  });
  const pruned = new Set(group.trials.filter((t) => t.status === "pruned").map((t) => t.index));
  const ranked = trials.filter((t) => !pruned.has(t.index));
  const scored = ranked.filter((t) => t.replay !== null);
  const replayBest = bestBy(ranked, (t) => t.replay, metric.direction)?.index ?? null;
  const best = group.best?.index ?? null;
  const stillBest = best === null || !indexes.includes(best) || scored.length < 2 ? null : replayBest === best;
  const paired = ranked.flatMap((t) => (t.original !== null && t.replay !== null ? [{ original: t.original, replay: t.replay }] : []));
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

/**
 * The reasons of a group's verdict: each replayed trial's own, prefixed "trial <index>: " (see
 * parseTrialReason), then a change of the best trial. Empty: the group reproduced.
 */
export function groupReasons(summary: GroupSummary, reports: readonly ReplayReport[]): string[] {
  const reasons = summary.trials.flatMap((t, k) => {
    const r = reports[k]!;
    return (r.reasons ?? (r.verdict === "reproduced" ? [] : ["diverged"])).map((why) => `trial ${t.index}: ${why}`);
  });
  const { best } = summary;
  if (best.stillBest === false) reasons.push(`the best trial changed: ${best.original} originally, ${best.replay} now`);
  return reasons;
}

/** A reason of groupReasons split into its trial and what diverged; null for a reason of the whole group. */
export function parseTrialReason(reason: string): { index: number; why: string } | null {
  const m = /^trial (\d+): (.*)$/s.exec(reason);
  return m ? { index: Number(m[1]), why: m[2]! } : null;
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}
