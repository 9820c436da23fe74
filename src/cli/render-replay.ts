// The reviewer's report as text: tables, drift and the verdict line.
import { join } from "node:path";
import { sanitizeLine } from "../primitives/sanitize-text.js";
import type { ReplayReport } from "../record/types.js";
import { parseTrialReason } from "../replay/summarize-group.js";
import type { Colours } from "./render-colour.js";
import { formatMetric, renderTable } from "./render-table.js";

const PLAIN: Pick<Colours, "green" | "red" | "yellow"> = { green: String, red: String, yellow: String };

const cell = (v: number | string | null): string => (v === null ? "-" : formatMetric(v));

/**
 * The reviewer's verdict: metrics, series, outputs, environment drift, then the verdict with every
 * reason. Every text that came from the bundle (names, paths, values, warnings, reasons) is passed
 * through sanitizeLine: it can neither drive the terminal nor start a line of its own.
 */
export function renderReplay(r: ReplayReport, out: string, colours: Pick<Colours, "green" | "red" | "yellow"> = PLAIN): string {
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
  // Green reproduced, red diverged, yellow stopped by the reviewer: the verdict of no one's work.
  const colour = r.verdict === "reproduced" ? colours.green : r.container.interruptedBy ? colours.yellow : colours.red;
  lines.push("", colour(renderVerdict(r)), `record: ${join(out, "replay.yaml")}`, "");
  return lines.join("\n");
}

/** One line: what exit 0 means when reproduced; every reason, sanitized, when not. */
export function renderVerdict(r: ReplayReport): string {
  if (r.group && r.group.trials.length > 1) return renderGroupVerdict(r, r.group.trials);
  if (r.verdict === "reproduced")
    return (
      `REPRODUCED: every compared metric (${r.metrics.length}), the exit code (${r.container.exitCode}) ` +
      `and every output (${r.outputs.length}) as recorded.`
    );
  const reasons = r.reasons ?? r.metrics.filter((m) => m.verdict !== "same" && m.verdict !== "within").map((m) => `metric ${m.name}`);
  return `DIVERGED: ${reasons.length > 0 ? reasons.map(sanitizeLine).join("; ") : "no reason recorded"}.`;
}

/** Several trials: how many reproduced, then each diverged trial with its own reasons, then the group's. */
function renderGroupVerdict(r: ReplayReport, trials: ReadonlyArray<{ index: number; verdict: string }>): string {
  const reproduced = trials.filter((t) => t.verdict === "reproduced").length;
  const counted = `${reproduced} of ${trials.length} trials reproduced`;
  if (r.verdict === "reproduced")
    return `REPRODUCED: ${counted}, each with every compared metric, its exit code and every output as recorded.`;
  const reasons = (r.reasons ?? []).map((reason) => ({ reason, trial: parseTrialReason(reason) }));
  const diverged = trials
    .filter((t) => t.verdict !== "reproduced")
    .map((t) => {
      const own = reasons.flatMap(({ trial }) => (trial?.index === t.index ? [trial.why] : []));
      return `trial ${t.index} diverged${own.length > 0 ? `: ${own.join(", ")}` : ""}`;
    });
  const group = reasons.filter(({ trial }) => trial === null).map(({ reason }) => reason);
  return `DIVERGED: ${[counted, ...diverged, ...group].map(sanitizeLine).join("; ")}.`;
}
