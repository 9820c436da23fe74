import { describe, expect, it } from "vitest";
import type { MetricPoint } from "../record/types.js";
import { compareMetrics, compareSeries, DEFAULT_TOLERANCE } from "./compare-metrics.js";

describe("compareMetrics", () => {
  it("reproduces identical metrics, and floats within the relative tolerance", () => {
    const c = compareMetrics({ loss: 0.5, acc: 0.9, epochs: 40 }, { loss: 0.5000000001, acc: 0.9, epochs: 40 });
    expect(c.reproduced).toBe(true);
    expect(c.rows.map((r) => [r.name, r.verdict])).toEqual([
      ["acc", "same"],
      ["epochs", "same"],
      ["loss", "within"],
    ]);
    expect(c.rows[2]!.absDiff).toBeCloseTo(1e-10, 15);
  });

  it.each([
    ["one missing", { a: 1.5, b: 2.5 }, { a: 1.5 }, "b", "missing"],
    ["one extra", { a: 1.5 }, { a: 1.5, z: 3 }, "z", "extra"],
    ["NaN against NaN", { a: "NaN" as const }, { a: "NaN" as const }, "a", "diverged"],
    ["an integer off by one", { n: 10 }, { n: 11 }, "n", "diverged"],
    ["a float beyond tolerance", { x: 1.0 }, { x: 1.001 }, "x", "diverged"],
    ["Infinity against a number", { x: "Infinity" as const }, { x: 5 }, "x", "diverged"],
  ])("diverges on %s, saying which and why", (_, a, b, name, verdict) => {
    const c = compareMetrics(a, b);
    expect(c.reproduced).toBe(false);
    const row = c.rows.find((r) => r.name === name)!;
    expect(row.verdict).toBe(verdict);
    expect(row.reason).toBeTruthy();
  });

  it("takes -0 and 0 as the same, and an int against the same float as the same", () => {
    expect(compareMetrics({ a: 0, b: 3 }, { a: -0, b: 3.0 }).reproduced).toBe(true);
  });

  it("uses recorded per-metric tolerances and the reviewer's --rtol/--atol, integers included when given", () => {
    expect(compareMetrics({ x: 1.0 }, { x: 1.01 }, { ...DEFAULT_TOLERANCE, perMetric: { x: { rtol: 0.02 } } }).reproduced).toBe(true);
    expect(compareMetrics({ n: 100 }, { n: 101 }, { ...DEFAULT_TOLERANCE, rtol: 0.05, explicit: true }).reproduced).toBe(true);
    expect(compareMetrics({ z: 0 }, { z: 1e-9 }, { ...DEFAULT_TOLERANCE, atol: 1e-8, explicit: true }).reproduced).toBe(true);
  });

  it("compares only the metrics asked for; a metric asked for that neither has is missing", () => {
    expect(compareMetrics({ a: 1.5, b: 2 }, { a: 1.5, b: 3 }, DEFAULT_TOLERANCE, ["a"]).reproduced).toBe(true);
    expect(compareMetrics({}, {}).rows).toEqual([]);
    expect(compareMetrics({ a: 1 }, { a: 1 }, DEFAULT_TOLERANCE, ["nope"]).rows[0]).toMatchObject({
      verdict: "missing",
      reason: "in neither run",
    });
  });
});

describe("compareSeries", () => {
  const p = (name: string, step: number, value: number): MetricPoint => ({ name, step, value, time: 0, source: "stdout" });

  it("names the first divergent step of each metric", () => {
    const a = [p("loss", 1, 0.9), p("loss", 2, 0.5), p("loss", 3, 0.3), p("acc", 1, 0.5)];
    const b = [p("loss", 1, 0.9), p("loss", 2, 0.51), p("loss", 3, 0.2), p("acc", 1, 0.5)];
    expect(compareSeries(a, b)).toEqual([{ name: "loss", step: 2, original: 0.5, replay: 0.51 }]);
  });

  it("says when the runs reported different numbers of steps", () => {
    const d = compareSeries([p("l", 1, 1.5), p("l", 2, 2.5)], [p("l", 1, 9.5)]);
    expect(d).toEqual([{ name: "l", step: 1, original: 1.5, replay: 9.5, lengths: [2, 1] }]);
  });

  it("compares metrics named like Object.prototype's keys as any other, never finding the prototype's", () => {
    const { rows } = compareMetrics({ accuracy: 0.5 }, { accuracy: 0.5, constructor: 1, toString: 2 });
    expect(rows.map((r) => [r.name, r.verdict, r.original])).toEqual([
      ["accuracy", "same", 0.5],
      ["constructor", "extra", null],
      ["toString", "extra", null],
    ]);
  });
});
