import { describe, expect, it } from "vitest";
import type { MetricPoint, RunManifest } from "../record/types.js";
import { cutAtStep, finalValuesOf, pointsToCompare, reachedStep } from "./cut-at-step.js";

const at = (name: string, value: MetricPoint["value"], time: number, step?: number): MetricPoint => ({
  name,
  value,
  time,
  ...(step === undefined ? {} : { step }),
  source: "stdout",
});

describe("cutAtStep", () => {
  it.each<[string, MetricPoint[], number, MetricPoint[]]>([
    [
      "keeps the steps up to the one pruned at",
      [at("loss", 1, 1, 0), at("loss", 0.9, 2, 1), at("loss", 0.8, 3, 2)],
      1,
      [at("loss", 1, 1, 0), at("loss", 0.9, 2, 1)],
    ],
    [
      "keeps every metric's steps up to it",
      [at("loss", 1, 1, 1), at("acc", 0.1, 1, 1), at("acc", 0.2, 2, 2)],
      1,
      [at("loss", 1, 1, 1), at("acc", 0.1, 1, 1)],
    ],
    [
      "keeps points without a step from before the first step past it",
      [at("lr", 0.1, 0), at("loss", 1, 1, 3), at("done", 1, 9)],
      2,
      [at("lr", 0.1, 0)],
    ],
    [
      "keeps every point without a step when nothing is past it",
      [at("lr", 0.1, 0), at("loss", 1, 1, 2), at("seen", 1, 5)],
      2,
      [at("lr", 0.1, 0), at("loss", 1, 1, 2), at("seen", 1, 5)],
    ],
    ["the first step past it by time, not by order in the file", [at("loss", 1, 7, 5), at("lr", 0.1, 4), at("loss", 2, 3, 4)], 3, []],
    ["nothing from nothing", [], 3, []],
  ])("%s", (_name, points, step, expected) => expect(cutAtStep(points, step)).toEqual(expected));
});

describe("finalValuesOf", () => {
  it.each<[string, MetricPoint[], Record<string, MetricPoint["value"]>]>([
    [
      "the last point by time of each metric",
      [at("loss", 0.5, 2, 1), at("loss", 1, 1, 0), at("acc", "NaN", 1, 0)],
      { acc: "NaN", loss: 0.5 },
    ],
    ["the later line on a tie of times, as the collector", [at("loss", 1, 1, 0), at("loss", 2, 1, 1)], { loss: 2 }],
    ["none from nothing", [], {}],
  ])("%s", (_name, points, expected) => expect(finalValuesOf(points)).toEqual(expected));
});

describe("reachedStep", () => {
  it.each<[string, MetricPoint[], boolean]>([
    ["the metric at the step", [at("loss", 1, 1, 3)], true],
    ["the metric past the step", [at("loss", 1, 1, 7)], true],
    ["the metric only before it", [at("loss", 1, 1, 2)], false],
    ["another metric at the step", [at("acc", 1, 1, 3)], false],
    ["the metric without a step", [at("loss", 1, 1)], false],
  ])("%s", (_name, points, expected) => expect(reachedStep(points, "loss", 3)).toBe(expected));
});

describe("pointsToCompare", () => {
  const base = { metrics: { final: { loss: 0.5 }, series: "metrics.jsonl", points: 3, files: [] } } as unknown as RunManifest;
  const pruned = { ...base, pruned: { metric: "loss", step: 1, value: 0.9 } } as RunManifest;
  const original = [at("loss", 1, 1, 0), at("loss", 0.9, 2, 1), at("loss", 0.5, 3, 2)];

  it("compares a run that was not pruned whole, with its recorded final values", () => {
    const replay = [at("loss", 1, 1, 0)];
    expect(pointsToCompare(base, original, replay, { loss: 1 })).toEqual({
      original,
      replay,
      finals: { original: { loss: 0.5 }, replay: { loss: 1 } },
      pruned: null,
    });
  });

  it("compares a pruned trial up to its step on both sides, its final values taken there", () => {
    const replay = [at("loss", 1, 5, 0), at("loss", 0.9, 6, 1), at("loss", 0.7, 7, 2), at("loss", 0.6, 8, 3)];
    expect(pointsToCompare(pruned, original, replay, { loss: 0.6 })).toEqual({
      original: original.slice(0, 2),
      replay: replay.slice(0, 2),
      finals: { original: { loss: 0.9 }, replay: { loss: 0.9 } },
      pruned: { step: 1, reached: true },
    });
  });

  it("says when the replay of a pruned trial never came as far as its step", () => {
    const replay = [at("loss", 1, 5, 0)];
    expect(pointsToCompare(pruned, original, replay, { loss: 1 })).toMatchObject({
      finals: { original: { loss: 0.9 }, replay: { loss: 1 } },
      pruned: { step: 1, reached: false },
    });
  });
});
