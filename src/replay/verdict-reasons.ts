import type { DriftRow, MetricRow, OutputRow, SeriesDivergence } from "../record/types.js";

/** Said when the numbers moved although nothing in the environment did. */
export const NOT_DETERMINISTIC =
  "every environment line is identical, so the run itself is not deterministic: usually unseeded randomness, " +
  "thread scheduling or parallel reductions, non-deterministic GPU kernels, or dependence on wall-clock time or data order";

/** What decides a run's verdict: the compared metrics and their series, the outputs, how the container ended. */
export interface VerdictInputs {
  readonly metrics: readonly MetricRow[];
  readonly series: readonly SeriesDivergence[];
  readonly outputs: readonly OutputRow[];
  readonly exitCode: number;
  readonly originalExitCode: number;
  readonly oomKilled: boolean;
  readonly memoryBytes: number;
  readonly timedOut: boolean;
  readonly timeoutMs: number;
  readonly interruptedBy: string | null;
  /** The environment table; when every line is the same, a numeric divergence is the run's own. */
  readonly drift?: readonly DriftRow[];
  /**
   * For a trial the search pruned: the step it was pruned at, and whether the replay reported that step
   * (it is then stopped there, as the original was: its exit code is not compared).
   */
  readonly pruned?: { readonly step: number; readonly reached: boolean } | null;
}

/** Said of a pruned trial's replay that came as far as the original: it was stopped there too. */
export function prunedNote(step: number): string {
  return `pruned at step ${step}, as the original: metrics and series compared up to that step, the exit code not`;
}

/**
 * Every reason a replay did not reproduce, one short phrase each; none means reproduced. Exit 0
 * means exactly this: every compared metric (final value and series), the exit code and every
 * declared output reproduced, and the container neither ran out of memory, nor of time, nor was
 * stopped. --metric narrows the metrics (and series) compared, never the outputs or the exit code.
 * A pruned trial is compared up to its step, and its stop there is no failure.
 */
export function verdictReasons(r: VerdictInputs): string[] {
  const reasons: string[] = [];
  for (const m of r.metrics) {
    if (m.verdict !== "same" && m.verdict !== "within") reasons.push(`metric ${m.name} ${m.verdict}${m.reason ? ` (${m.reason})` : ""}`);
  }
  for (const s of r.series) reasons.push(`series ${s.name} diverged at step ${s.step}`);
  for (const o of r.outputs) if (o.verdict !== "same") reasons.push(`output ${o.path} ${o.verdict}`);
  if (r.interruptedBy) reasons.push(`interrupted by ${r.interruptedBy}`);
  else if (r.timedOut) reasons.push(`stopped at the time limit (--timeout ${renderDuration(r.timeoutMs)})`);
  else if (r.oomKilled) reasons.push(`out of memory (--memory ${r.memoryBytes} bytes)`);
  if (r.pruned && !r.pruned.reached && !r.interruptedBy && !r.timedOut)
    reasons.push(`ended before step ${r.pruned.step}, where the original was pruned`);
  const stoppedAsOriginal = r.pruned?.reached === true;
  if (r.exitCode !== r.originalExitCode && !r.interruptedBy && !r.timedOut && !stoppedAsOriginal)
    reasons.push(`exit code ${r.exitCode}, recorded ${r.originalExitCode}`);
  const numbersMoved = r.series.length > 0 || r.metrics.some((m) => m.verdict === "diverged");
  const ranAlike = !r.interruptedBy && !r.timedOut && !r.oomKilled && (stoppedAsOriginal || r.exitCode === r.originalExitCode);
  if (numbersMoved && ranAlike && r.drift && r.drift.length > 0 && r.drift.every((d) => d.same)) reasons.push(NOT_DETERMINISTIC);
  return reasons;
}

/** 90000 -> "1m30s": the way --timeout is written. */
export function renderDuration(ms: number): string {
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [h ? `${h}h` : "", m ? `${m}m` : "", s || (!h && !m) ? `${s}s` : ""];
  return parts.join("");
}
