import type { GroupManifest } from "../record/types.js";
import { formatMetric, renderTable } from "./render-table.js";

/** A search's trials ranked by its metric (failed and unreported last), with the best named. */
export function renderGroup(g: GroupManifest, folder: string): string {
  const sign = g.spec.metric.direction === "maximize" ? -1 : 1;
  const rank = (m: unknown): number => (typeof m === "number" ? sign * m : Infinity);
  const ranked = [...g.trials].sort((a, b) => rank(a.metric) - rank(b.metric) || a.index - b.index);
  const paramNames = Object.keys(g.spec.paramSpace);
  const lines = [
    "",
    `Group ${g.id} (${g.name}): ${g.status}; ${g.spec.sampler} sampler, seed ${g.spec.seed}, ` +
      `${g.trials.length} trials, ${g.spec.metric.direction} ${g.spec.metric.name}`,
    renderTable(
      ["TRIAL", g.spec.metric.name.toUpperCase(), "STATUS", "EXIT", ...paramNames.map((p) => p.toUpperCase()), "RUN"],
      ranked.map((t) => [
        String(t.index),
        t.metric === null ? "-" : formatMetric(t.metric),
        t.status,
        t.exitCode === null ? "" : String(t.exitCode),
        ...paramNames.map((p) =>
          t.params[p] === undefined ? "" : typeof t.params[p] === "number" ? formatMetric(t.params[p] as number) : String(t.params[p]),
        ),
        t.runId ?? "",
      ]),
    ),
  ];
  lines.push(
    g.best
      ? `best: trial ${g.best.index} (${g.spec.metric.name}=${formatMetric(g.best.metric)}), run ${g.best.runId}`
      : "best: none (no trial reported the metric)",
  );
  for (const w of g.warnings) lines.push(`warning: ${w}`);
  lines.push(`record: ${folder}/group.yaml   (mlx show ${g.id})`, "");
  return lines.join("\n");
}
