import type { MetricPoint, RunManifest } from "../record/types.js";
import { environmentFacts, formatBytes, formatMetric } from "./environment-facts.js";
import { groupSeries, seriesSpec, type Plot } from "./plot-specs.js";
import { escapeHtml, renderFacts, renderPage, renderPlots, renderTable, type Section } from "./render-page.js";

/** The plots of a run: one per metric series, in the order the metrics were first reported. */
export function runPlots(points: readonly MetricPoint[]): Plot[] {
  return [...groupSeries(points)]
    .filter(([, list]) => list.length > 0)
    .map(([name, list], i) => seriesSpec(`series-${i}`, name, [{ label: name, points: list }], null));
}

/** A run's report: what ran, params, environment, final metrics, and a plot per metric series. */
export async function renderRunReport(m: RunManifest, points: readonly MetricPoint[]): Promise<string> {
  const o = m.outcome;
  const sections: Section[] = [
    {
      title: "What ran",
      html: renderFacts(
        [
          ["command", m.command.argv.join(" ")],
          [
            "status",
            m.status + (o ? `, exit ${o.exitCode}${o.signal ? ` (${o.signal})` : ""} after ${(o.durationMs / 1000).toFixed(1)} s` : ""),
          ],
          ["started", m.createdAt],
          ["seed", `${m.seed.value} (${m.seed.source})`],
          ["tags", m.tags.join(", ") || "none"],
          ...(m.group ? [["group", `${m.group.id}, trial ${m.group.trial}`] as [string, string]] : []),
        ],
        "run-facts",
      ),
    },
    {
      title: "Parameters",
      html:
        Object.keys(m.params).length === 0
          ? `<p class="muted">none</p>`
          : renderTable(
              ["param", "value"],
              Object.entries(m.params).map(([k, v]) => [k, JSON.stringify(v)]),
              "params",
            ),
    },
    { title: "Environment", html: renderFacts(environmentFacts(m), "environment") },
    {
      title: "Final metrics",
      html: renderTable(
        ["metric", "value"],
        Object.entries(m.metrics?.final ?? {}).map(([k, v]) => [k, { html: `<span class="num">${escapeHtml(formatMetric(v))}</span>` }]),
        "final-metrics",
      ),
    },
    { title: "Metric series", html: await renderPlots(runPlots(points)) },
  ];
  if (m.outputs.length > 0)
    sections.push({
      title: "Outputs",
      html: renderTable(
        ["path", "size", "sha256"],
        m.outputs.map((x) => [x.path, formatBytes(x.sizeBytes), x.sha256.slice(0, 16)]),
        "outputs",
      ),
    });
  if (m.warnings.length > 0)
    sections.push({ title: "Warnings", html: `<ul>${m.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` });
  return renderPage("run", `Run ${m.id}${m.name ? ` (${m.name})` : ""}`, `mlx ${m.mlxVersion}, recorded ${m.createdAt}`, sections);
}
