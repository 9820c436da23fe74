// Vega-Lite specs for the report's plots: pure functions from records to specs. Field names are fixed
// ("step", "value", "series", ...): a metric or parameter name from a record (untrusted when it comes
// from a bundle) only ever appears as a data value or a title, never as a field or an expression.
import type { TopLevelSpec } from "vega-lite";
import type { GroupManifest, MetricPoint, MetricValue } from "../record/types.js";

/** One plot: its spec and what the browser test expects to find drawn. */
export interface Plot {
  /** A stable id: "series-<n>", "best-so-far", "param-<n>". */
  readonly id: string;
  readonly title: string;
  readonly spec: TopLevelSpec;
  /** Lines drawn (series), or 0 for a scatter. */
  readonly seriesCount: number;
  /** Point symbols drawn, over all series. */
  readonly pointCount: number;
  /** Rules marking a first divergence. */
  readonly markerCount: number;
}

/** A series as plotted: a label ("original", "replay", or the metric) and its finite points in step order. */
export interface PlotSeries {
  readonly label: string;
  readonly points: ReadonlyArray<{ step: number; value: number }>;
}

/** Beyond this many points a series is thinned (every k-th point, the last kept) so the page stays small. */
export const MAX_PLOT_POINTS = 500;
const WIDTH = 400;
const HEIGHT = 200;
const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const STATUS_SHAPES = { succeeded: "circle", pruned: "triangle-down", failed: "cross", other: "square" } as const;

/** A metric value as a plottable number; NaN and the infinities are not drawn. */
export function finiteValue(value: MetricValue | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/**
 * The series in a metrics file's points, by name, in the order first seen. A point without a step
 * takes its position among the points of its name (the collector numbers steps that way too).
 */
export function groupSeries(points: readonly MetricPoint[]): Map<string, Array<{ step: number; value: number }>> {
  const byName = new Map<string, Array<{ step: number; value: number }>>();
  const seen = new Map<string, number>();
  for (const p of points) {
    const n = seen.get(p.name) ?? 0;
    seen.set(p.name, n + 1);
    const value = finiteValue(p.value);
    let list = byName.get(p.name);
    if (!list) byName.set(p.name, (list = []));
    if (value !== null) list.push({ step: typeof p.step === "number" ? p.step : n, value });
  }
  for (const list of byName.values()) list.sort((a, b) => a.step - b.step);
  return byName;
}

/** At most MAX_PLOT_POINTS points, evenly spread over the series, the first and the last always among them. */
export function thinPoints<T>(points: readonly T[]): T[] {
  if (points.length <= MAX_PLOT_POINTS) return [...points];
  const last = points.length - 1;
  return Array.from({ length: MAX_PLOT_POINTS }, (_, k) => points[Math.round((k * last) / (MAX_PLOT_POINTS - 1))]!);
}

/** One metric's series as lines with points, one line per label; a red rule where they first part. */
export function seriesSpec(id: string, metric: string, series: readonly PlotSeries[], divergenceStep: number | null): Plot {
  const values = series.flatMap((s) => thinPoints(s.points).map((p) => ({ series: s.label, step: p.step, value: p.value })));
  const drawn = series.filter((s) => s.points.length > 0);
  const labels = series.map((s) => s.label);
  const lines: TopLevelSpec = {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    data: { values },
    // The legend above the plot keeps each figure narrow enough for two side by side.
    config: { legend: { orient: "top" } },
    layer: [
      {
        mark: { type: "line", point: { size: 24 }, strokeWidth: 1.5 },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "value", type: "quantitative", title: metric, scale: { zero: false } },
          color: { field: "series", type: "nominal", title: null, scale: { domain: labels } },
          // Later series dashed: a replay that matches its original exactly still shows both lines.
          strokeDash: {
            field: "series",
            type: "nominal",
            title: null,
            scale: { domain: labels, range: labels.map((_, i) => (i === 0 ? [1, 0] : [6, 4])) },
          },
        },
      },
      ...(divergenceStep === null
        ? []
        : [
            {
              data: { values: [{ step: divergenceStep, label: `first divergence: step ${divergenceStep}` }] },
              mark: { type: "rule" as const, color: "#d62728", strokeWidth: 2 },
              encoding: { x: { field: "step", type: "quantitative" as const } },
            },
          ]),
    ],
  };
  return {
    id,
    title: metric,
    spec: lines,
    seriesCount: drawn.length,
    pointCount: values.length,
    markerCount: divergenceStep === null ? 0 : 1,
  };
}

/** A trial's status as the plots group it: pruned and failed trials are drawn apart. */
export function statusClass(status: string): keyof typeof STATUS_SHAPES {
  if (status === "succeeded" || status === "pruned" || status === "failed") return status;
  return "other";
}

function statusEncoding() {
  const domain = Object.keys(STATUS_SHAPES);
  return {
    shape: { field: "status", type: "nominal" as const, scale: { domain, range: Object.values(STATUS_SHAPES) }, title: "status" },
    color: {
      field: "status",
      type: "nominal" as const,
      scale: { domain, range: ["#4c78a8", "#f58518", "#d62728", "#888888"] },
      legend: null,
    },
  };
}

/** The best objective so far after each trial (in trial order), with every trial's own value as a point. */
export function bestSoFarSpec(group: GroupManifest): Plot {
  const maximize = group.spec.metric.direction === "maximize";
  let best: number | null = null;
  const curve: Array<{ trial: number; best: number }> = [];
  const points: Array<{ trial: number; value: number; status: string }> = [];
  for (const t of [...group.trials].sort((a, b) => a.index - b.index)) {
    const value = finiteValue(t.metric);
    if (value === null) continue;
    points.push({ trial: t.index, value, status: statusClass(t.status) });
    // Only finished trials count toward the best; a pruned one stopped early.
    if (t.status === "succeeded" && (best === null || (maximize ? value > best : value < best))) best = value;
    if (best !== null) curve.push({ trial: t.index, best });
  }
  const metric = group.spec.metric.name;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: curve },
        mark: { type: "line", interpolate: "step-after", color: "#2ca02c", strokeWidth: 2 },
        encoding: {
          x: { field: "trial", type: "quantitative", title: "trial", axis: { tickMinStep: 1 } },
          y: { field: "best", type: "quantitative", title: `best ${metric} so far`, scale: { zero: false } },
        },
      },
      {
        data: { values: points },
        mark: { type: "point", filled: true, size: 50 },
        encoding: { x: { field: "trial", type: "quantitative" }, y: { field: "value", type: "quantitative" }, ...statusEncoding() },
      },
    ],
  };
  return {
    id: "best-so-far",
    title: `best ${metric} so far`,
    spec,
    seriesCount: curve.length > 0 ? 1 : 0,
    pointCount: points.length,
    markerCount: 0,
  };
}

/** The parameters a group's trials vary, in the order of the search space, then any others. */
export function variedParams(group: GroupManifest): string[] {
  const names = [...Object.keys(group.spec.paramSpace)];
  for (const t of group.trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  return names.filter((k) => new Set(group.trials.map((t) => JSON.stringify(t.params[k]))).size > 1);
}

/** One parameter against the objective, a point per trial that reported it, shaped by status. */
export function paramSpec(group: GroupManifest, param: string, n: number): Plot {
  const points: Array<{ param: number | string; value: number; status: string; trial: number }> = [];
  for (const t of group.trials) {
    const value = finiteValue(t.metric);
    const raw = t.params[param];
    if (value === null || raw === undefined) continue;
    points.push({ param: typeof raw === "number" ? raw : JSON.stringify(raw), value, status: statusClass(t.status), trial: t.index });
  }
  const numeric = points.every((p) => typeof p.param === "number");
  const metric = group.spec.metric.name;
  const spec: TopLevelSpec = {
    $schema: SCHEMA,
    width: 300,
    height: 200,
    data: { values: points },
    mark: { type: "point", filled: true, size: 60 },
    encoding: {
      x: numeric
        ? { field: "param", type: "quantitative", title: param, scale: { zero: false } }
        : { field: "param", type: "ordinal", title: param },
      y: { field: "value", type: "quantitative", title: metric, scale: { zero: false } },
      ...statusEncoding(),
    },
  };
  return { id: `param-${n}`, title: `${param} against ${metric}`, spec, seriesCount: 0, pointCount: points.length, markerCount: 0 };
}
