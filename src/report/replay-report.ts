import type { MetricPoint, ReplayReport } from "../record/types.js";
import { formatMetric } from "./environment-facts.js";
import { groupSeries, seriesSpec, type Plot } from "./plot-specs.js";
import { escapeHtml, renderFacts, renderPage, renderPlots, renderTable, type Section } from "./render-page.js";

/** The metric series of both sides; `original` is null when the bundle's copy could not be read. */
export interface ReplaySeries {
  readonly original: readonly MetricPoint[] | null;
  readonly replay: readonly MetricPoint[];
  /** Why the original series is missing, shown under the plots. */
  readonly originalNote: string | null;
}

/** One plot per metric, original and replay overlaid, with a rule at the first step where they part. */
export function replayPlots(report: ReplayReport, series: ReplaySeries): Plot[] {
  const original = groupSeries(series.original ?? []);
  const replay = groupSeries(series.replay);
  const names = [...new Set([...original.keys(), ...replay.keys()])];
  return names
    .filter((name) => (original.get(name)?.length ?? 0) + (replay.get(name)?.length ?? 0) > 0)
    .map((name, i) => {
      const parted = report.series.find((s) => s.name === name);
      return seriesSpec(
        `series-${i}`,
        name,
        [
          { label: "original", points: original.get(name) ?? [] },
          { label: "replay", points: replay.get(name) ?? [] },
        ],
        parted ? parted.step : null,
      );
    });
}

const cellClass = (bad: boolean, text: string): { html: string } => ({
  html: `<span class="${bad ? "bad-cell" : "ok-cell"}">${escapeHtml(text)}</span>`,
});
const num = (text: string): { html: string } => ({ html: `<span class="num">${escapeHtml(text)}</span>` });
const diff = (x: number | null): string => (x === null ? "-" : String(Number(x.toPrecision(3))));

/** A replay's report: the verdict first, then the metrics, series, outputs and the drift between the hosts. */
export async function renderReplayReport(r: ReplayReport, series: ReplaySeries): Promise<string> {
  const ok = r.verdict === "reproduced";
  const reasons = r.reasons ?? [];
  const sections: Section[] = [
    {
      title: "Verdict",
      html:
        `<div id="verdict" class="verdict ${ok ? "ok" : "bad"}" data-verdict="${escapeHtml(r.verdict)}">` +
        `${ok ? "Reproduced" : "Diverged"}</div>` +
        (reasons.length > 0 ? `<ul id="reasons">${reasons.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` : "") +
        renderFacts(
          [
            ["run", r.run],
            ["bundle", r.bundle.path],
            [
              "exit code",
              `${r.container.exitCode} (original ${r.container.originalExitCode})${r.container.oomKilled ? ", killed: out of memory" : ""}`,
            ],
            ["duration", `${(r.container.durationMs / 1000).toFixed(1)} s`],
            ...(r.signature
              ? [
                  ["signed by", `${r.signature.principal ?? "unknown"}${r.signature.verified ? " (verified)" : " (not checked)"}`] as [
                    string,
                    string,
                  ],
                ]
              : []),
          ],
          "replay-facts",
        ),
    },
    {
      title: "Final metrics",
      html: renderTable(
        ["metric", "original", "replay", "abs diff", "rel diff", "verdict"],
        r.metrics.map((m) => [
          m.name,
          num(formatMetric(m.original)),
          num(formatMetric(m.replay)),
          num(diff(m.absDiff)),
          num(diff(m.relDiff)),
          cellClass(m.verdict === "diverged" || m.verdict === "missing", m.verdict + (m.reason ? `: ${m.reason}` : "")),
        ]),
        "metrics",
      ),
    },
    {
      title: "Metric series: original and replay",
      html:
        (series.originalNote ? `<p class="muted" id="series-note">${escapeHtml(series.originalNote)}</p>` : "") +
        (await renderPlots(replayPlots(r, series))),
    },
  ];
  if (r.group)
    sections.push({
      title: `Search ${r.group.id}: ${r.group.metric} per trial`,
      html:
        renderTable(
          ["trial", "run", "original", "replay", "verdict"],
          r.group.trials.map((t) => [
            String(t.index),
            t.run,
            num(formatMetric(t.original)),
            num(formatMetric(t.replay)),
            cellClass(t.verdict !== "reproduced", t.verdict),
          ]),
          "group-trials",
        ) +
        `<p>Best trial: originally ${r.group.best.original ?? "-"}, in the replay ${r.group.best.replay ?? "-"}` +
        (r.group.spearman === null ? "" : `; rank correlation ${r.group.spearman.toFixed(3)}`) +
        `.</p>`,
    });
  sections.push({
    title: "Outputs",
    html:
      r.outputs.length === 0
        ? `<p class="muted">No declared outputs.</p>`
        : renderTable(
            ["path", "original sha256", "replay sha256", "verdict"],
            r.outputs.map((o) => [
              o.path,
              o.original.slice(0, 16),
              (o.replay ?? "-").slice(0, 16),
              cellClass(o.verdict !== "same", o.verdict + (o.reason ? `: ${o.reason}` : "")),
            ]),
            "outputs",
          ),
  });
  sections.push({
    title: "Environment drift",
    html: renderTable(
      ["what", "original", "replay", ""],
      r.drift.map((d) => [d.what, d.original, d.replay, cellClass(!d.same, d.same ? "same" : "differs")]),
      "drift",
    ),
  });
  if (r.warnings.length > 0)
    sections.push({ title: "Warnings", html: `<ul>${r.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` });
  return renderPage("replay", `Replay of ${r.run}: ${r.verdict}`, `mlx ${r.mlxVersion}, replayed ${r.createdAt}`, sections);
}
