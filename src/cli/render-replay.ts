// The reviewer's report as text: tables, drift and the verdict line.
import { join } from "node:path";
import { sanitizeLine } from "../primitives/sanitize-text.js";
import type { ReplayReport } from "../record/types.js";
import { formatMetric, renderTable } from "./render-table.js";

const cell = (v: number | string | null): string => (v === null ? "-" : formatMetric(v));

/**
 * The reviewer's verdict: metrics, series, outputs, environment drift, then the verdict with every
 * reason. Every text that came from the bundle (names, paths, values, warnings, reasons) is passed
 * through sanitizeLine: it can neither drive the terminal nor start a line of its own.
 */
export function renderReplay(r: ReplayReport, out: string): string {
  const table = (head: string[], rows: string[][]): string =>
    renderTable(
      head,
      rows.map((row) => row.map(sanitizeLine)),
    );
  const lines: string[] = [""];
  lines.push(
    table(
      ["METRIC", "ORIGINAL", "REPLAY", "ABS DIFF", "REL DIFF", "VERDICT"],
      r.metrics.map((m) => [
        m.name,
        cell(m.original),
        cell(m.replay),
        m.absDiff === null ? "-" : m.absDiff.toExponential(2),
        m.relDiff === null ? "-" : m.relDiff.toExponential(2),
        m.reason ? `${m.verdict}: ${m.reason}` : m.verdict,
      ]),
    ),
  );
  for (const s of r.series) {
    const steps = s.lengths ? ` (steps: ${s.lengths[0]} vs ${s.lengths[1]})` : "";
    lines.push(sanitizeLine(`series ${s.name}: first divergence at step ${s.step}: ${cell(s.original)} -> ${cell(s.replay)}${steps}`));
  }
  if (r.outputs.length > 0) {
    lines.push(
      "",
      table(
        ["OUTPUT", "ORIGINAL", "REPLAY", "VERDICT"],
        r.outputs.map((o) => [
          o.path,
          o.original.slice(0, 12),
          o.replay?.slice(0, 12) ?? "-",
          o.reason ? `${o.verdict}: ${o.reason}` : o.verdict,
        ]),
      ),
    );
  }
  lines.push(
    "",
    table(
      ["ENVIRONMENT", "ORIGINAL", "REPLAY", ""],
      r.drift.map((d) => [d.what, d.original, d.replay, d.same ? "" : "differs"]),
    ),
  );
  for (const w of r.warnings) lines.push(`warning: ${sanitizeLine(w)}`);
  if (r.group) {
    const g = r.group;
    lines.push(
      "",
      sanitizeLine(`group ${g.id}: ${g.metric} of each replayed trial`),
      table(
        ["TRIAL", "ORIGINAL", "REPLAY", "VERDICT", "RUN"],
        g.trials.map((t) => [String(t.index), cell(t.original), cell(t.replay), t.verdict, t.run]),
      ),
    );
    if (g.best.stillBest !== null)
      lines.push(
        g.best.stillBest
          ? `the best trial (${g.best.original}) is still the best`
          : `the best trial changed: ${g.best.original} originally, ${g.best.replay} in the replay`,
      );
    if (g.spearman !== null)
      lines.push(sanitizeLine(`rank correlation (Spearman) of ${g.metric}, original vs replay: ${g.spearman.toFixed(3)}`));
  }
  lines.push("", renderVerdict(r), `record: ${join(out, "replay.yaml")}`, "");
  return lines.join("\n");
}

/** One line: what exit 0 means when reproduced; every reason, sanitized, when not. */
export function renderVerdict(r: ReplayReport): string {
  if (r.verdict === "reproduced")
    return (
      `REPRODUCED: every compared metric (${r.metrics.length}), the exit code (${r.container.exitCode}) ` +
      `and every output (${r.outputs.length}) as recorded.`
    );
  const reasons = r.reasons ?? r.metrics.filter((m) => m.verdict !== "same" && m.verdict !== "within").map((m) => `metric ${m.name}`);
  return `DIVERGED: ${reasons.length > 0 ? reasons.map(sanitizeLine).join("; ") : "no reason recorded"}.`;
}
