import { describe, expect, it } from "vitest";
import { groupManifest } from "../../test/helpers/records.js";
import type { GroupManifest, MetricPoint } from "../record/types.js";
import { bestSoFarSpec, groupSeries, MAX_PLOT_POINTS, paramSpec, seriesSpec, statusClass, thinPoints, variedParams } from "./plot-specs.js";

const point = (name: string, value: MetricPoint["value"], step?: number): MetricPoint => ({
  name,
  value,
  time: 0,
  source: "stdout",
  ...(step === undefined ? {} : { step }),
});

/** A group whose trials have these params, statuses and objective values. */
function search(
  trials: Array<{ params: Record<string, unknown>; status: string; metric: number | null }>,
  direction: "maximize" | "minimize" = "maximize",
): GroupManifest {
  const g = groupManifest(
    trials.map((t) => t.metric),
    null,
    direction,
  );
  g.spec.paramSpace = { lr: "loguniform(1e-3, 1)", hidden: "choice(8, 16)" };
  g.trials = g.trials.map((t, i) => ({
    ...t,
    params: trials[i]!.params,
    status: trials[i]!.status as GroupManifest["trials"][number]["status"],
  }));
  return g;
}

describe("groupSeries", () => {
  it.each([
    [
      "steps given, out of order",
      [point("loss", 2, 2), point("loss", 1, 1)],
      {
        loss: [
          [1, 1],
          [2, 2],
        ],
      },
    ],
    [
      "no steps: position among the points of its name",
      [point("a", 5), point("b", 7), point("a", 6)],
      {
        a: [
          [0, 5],
          [1, 6],
        ],
        b: [[0, 7]],
      },
    ],
    [
      "non-finite values are not drawn but keep their position",
      [point("a", "NaN"), point("a", 3), point("a", "Infinity")],
      { a: [[1, 3]] },
    ],
    ["a name with only non-finite values has no points", [point("x", "-Infinity")], { x: [] }],
  ])("%s", (_, points, expected) => {
    const got = Object.fromEntries([...groupSeries(points)].map(([k, v]) => [k, v.map((p) => [p.step, p.value])]));
    expect(got).toEqual(expected);
  });
});

describe("thinPoints", () => {
  it.each([
    [10, 10],
    [MAX_PLOT_POINTS, MAX_PLOT_POINTS],
    [MAX_PLOT_POINTS * 3, MAX_PLOT_POINTS],
    [MAX_PLOT_POINTS * 3 + 2, MAX_PLOT_POINTS],
    [MAX_PLOT_POINTS + 1, MAX_PLOT_POINTS],
  ])("%i points keep %i, the last among them", (n, kept) => {
    const all = Array.from({ length: n }, (_, i) => i);
    const out = thinPoints(all);
    expect(out).toHaveLength(kept);
    expect(out.at(-1)).toBe(n - 1);
  });
});

describe("seriesSpec", () => {
  const orig = {
    label: "original",
    points: [
      { step: 1, value: 1 },
      { step: 2, value: 0.5 },
    ],
  };
  const rep = {
    label: "replay",
    points: [
      { step: 1, value: 1 },
      { step: 2, value: 0.7 },
      { step: 3, value: 0.6 },
    ],
  };
  it.each([
    ["two sides and a divergence", [orig, rep], 2, { seriesCount: 2, pointCount: 5, markerCount: 1 }],
    ["no divergence: no rule", [orig, rep], null, { seriesCount: 2, pointCount: 5, markerCount: 0 }],
    ["an empty side is not a line", [orig, { label: "replay", points: [] }], null, { seriesCount: 1, pointCount: 2, markerCount: 0 }],
  ])("%s", (_, series, step, counts) => {
    const plot = seriesSpec("series-0", "loss", series, step);
    expect({ seriesCount: plot.seriesCount, pointCount: plot.pointCount, markerCount: plot.markerCount }).toEqual(counts);
    expect(JSON.stringify(plot.spec)).toContain('"field":"value"');
  });

  it("a hostile metric name is only a title and data, never a field", () => {
    const name = 'loss"].constructor("alert(1)")()//';
    const spec = JSON.stringify(seriesSpec("series-0", name, [{ label: name, points: [{ step: 0, value: 1 }] }], null).spec);
    const fields = [...spec.matchAll(/"field":"([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(fields)).toEqual(new Set(["step", "value", "series"]));
  });
});

describe("group plots", () => {
  const trials = [
    { params: { lr: 0.1, hidden: 8 }, status: "succeeded", metric: 0.6 },
    { params: { lr: 0.01, hidden: 8 }, status: "failed", metric: null },
    { params: { lr: 0.3, hidden: 16 }, status: "pruned", metric: 0.9 },
    { params: { lr: 0.05, hidden: 16 }, status: "succeeded", metric: 0.8 },
    { params: { lr: 0.2, hidden: 8 }, status: "succeeded", metric: 0.7 },
  ];

  it.each([
    ["maximize: pruned trials never become the best", "maximize", [0.6, 0.6, 0.8, 0.8]],
    ["minimize", "minimize", [0.6, 0.6, 0.6, 0.6]],
  ] as const)("best so far, %s", (_, direction, curve) => {
    const plot = bestSoFarSpec(search(trials, direction));
    const layer = (plot.spec as { layer: Array<{ data: { values: Array<Record<string, number>> } }> }).layer;
    expect(layer[0]!.data.values.map((v) => v["best"])).toEqual(curve);
    expect(plot.pointCount).toBe(4); // the failed trial has no value to draw
    expect(plot.seriesCount).toBe(1);
  });

  it("each varied parameter gets a scatter of the trials that reported the metric", () => {
    const g = search(trials);
    expect(variedParams(g)).toEqual(["lr", "hidden"]);
    expect(paramSpec(g, "lr", 0).pointCount).toBe(4);
    const same = search(trials.map((t) => ({ ...t, params: { ...t.params, hidden: 8 } })));
    expect(variedParams(same)).toEqual(["lr"]);
  });

  it.each([
    ["succeeded", "succeeded"],
    ["pruned", "pruned"],
    ["failed", "failed"],
    ["interrupted", "other"],
    ["not-found", "other"],
  ])("status %s is drawn as %s", (status, cls) => expect(statusClass(status)).toBe(cls));
});
