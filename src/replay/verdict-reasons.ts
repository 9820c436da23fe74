import type { MetricRow, OutputRow, SeriesDivergence } from "../record/types.js";

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
}

/**
 * Every reason a replay did not reproduce, one short phrase each; none means reproduced. Exit 0
 * means exactly this: every compared metric (final value and series), the exit code and every
 * declared output reproduced, and the container neither ran out of memory, nor of time, nor was
 * stopped. --metric narrows the metrics (and series) compared, never the outputs or the exit code.
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
  if (r.exitCode !== r.originalExitCode && !r.interruptedBy && !r.timedOut)
    reasons.push(`exit code ${r.exitCode}, recorded ${r.originalExitCode}`);
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
