import type { GroupManifest } from "../record/types.js";
import { scoreOf } from "../metrics/best-trial.js";
import { formatMetric } from "./environment-facts.js";
import { bestSoFarSpec, paramSpec, statusClass, variedParams, type Plot } from "./plot-specs.js";
import { escapeHtml, renderFacts, renderPage, renderPlots, renderTable, type Section } from "./render-page.js";

/** The trials best first by the objective; trials that did not report it (or NaN) last, by index. */
export function rankTrials(group: GroupManifest): GroupManifest["trials"] {
  const score = (t: GroupManifest["trials"][number]): number => scoreOf(t.metric, group.spec.metric.direction);
  return [...group.trials].sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    if (Number.isNaN(sa) || Number.isNaN(sb)) return Number.isNaN(sa) === Number.isNaN(sb) ? a.index - b.index : Number.isNaN(sa) ? 1 : -1;
    return sb - sa || a.index - b.index;
  });
}

/** A status cell's classes: its status class, and marked when the trial did not succeed. */
function statusCell(status: string): string {
  const cls = statusClass(status);
  return cls === "succeeded" ? "status-succeeded" : `status-${cls} bad-cell`;
}

/** The plots of a search: the best-so-far curve, then each varied parameter against the objective. */
export function groupPlots(group: GroupManifest): Plot[] {
  return [bestSoFarSpec(group), ...variedParams(group).map((p, i) => paramSpec(group, p, i))];
}

/** A search's report: its trials ranked, the best-so-far curve, and each parameter against the objective. */
export async function renderGroupReport(g: GroupManifest): Promise<string> {
  const { name, direction } = g.spec.metric;
  const params = [...new Set(g.trials.flatMap((t) => Object.keys(t.params)))];
  const sections: Section[] = [
    {
      title: "Search",
      html: renderFacts(
        [
          ["objective", `${direction} ${name}`],
          ["sampler", `${g.spec.sampler}, ${g.spec.numTrials} trials, ${g.spec.concurrency} at a time, seed ${g.spec.seed}`],
          ["command", g.spec.argv.join(" ")],
          ["status", g.status],
          ["best", g.best ? `trial ${g.best.index} (${g.best.runId}): ${name} ${formatMetric(g.best.metric)}` : "none"],
        ],
        "group-facts",
      ),
    },
    {
      title: "Trials, best first",
      html: renderTable(
        ["rank", "trial", "status", name, ...params, "run"],
        rankTrials(g).map((t, i) => [
          String(i + 1),
          String(t.index),
          {
            html: `<span class="${statusCell(t.status)}">${escapeHtml(t.status)}</span>`,
          },
          { html: `<span class="num">${escapeHtml(formatMetric(t.metric))}</span>` },
          ...params.map((p) => (t.params[p] === undefined ? "" : JSON.stringify(t.params[p]))),
          t.runId ?? "-",
        ]),
        "trials",
      ),
    },
    { title: "Plots", html: await renderPlots(groupPlots(g)) },
  ];
  if (g.warnings.length > 0)
    sections.push({ title: "Warnings", html: `<ul>${g.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` });
  return renderPage("group", `Search ${g.id} (${g.name})`, `mlx ${g.mlxVersion}, started ${g.createdAt}`, sections);
}
