import { describe, expect, it } from "vitest";
import type { MetricValue } from "../record/types.js";
import type { ReplayReport } from "../record/types.js";
import { summarizeGroup } from "./summarize-group.js";
import { groupManifest } from "../../test/helpers/records.js";

/** The replay of trial `index`: its objective `acc` originally and in the replay (undefined: not reported). */
function report(index: number, original: MetricValue | null, replay: MetricValue | null | undefined): ReplayReport {
  const metrics = replay === undefined ? [] : [{ name: "acc", original, replay, absDiff: null, relDiff: null, verdict: "same" as const }];
  return {
    apiVersion: "mlx/v1",
    kind: "Replay",
    createdAt: "2026-01-01T00:00:00.000Z",
    mlxVersion: "0.0.0",
    bundle: { path: "b.tar", imageId: "sha256:x" },
    run: `run-${index}`,
    verdict: "reproduced",
    container: { exitCode: 0, originalExitCode: 0, oomKilled: false, durationMs: 1 },
    metrics,
    series: [],
    outputs: [],
    drift: [],
    warnings: [],
  };
}

type Pair = [MetricValue | null, MetricValue | null | undefined];

describe("summarizeGroup", () => {
  it.each([
    [
      "still best when the replay ranks it first",
      [
        [0.5, 0.5],
        [0.9, 0.9],
        [0.7, 0.7],
      ],
      1,
      "maximize",
      true,
      1,
    ],
    [
      "not best when another trial overtakes it",
      [
        [0.5, 0.95],
        [0.9, 0.9],
        [0.7, 0.7],
      ],
      1,
      "maximize",
      false,
      0,
    ],
    [
      "still best when minimizing and lowest",
      [
        [0.5, 0.5],
        [0.1, 0.1],
      ],
      1,
      "minimize",
      true,
      1,
    ],
    [
      "not best with NaN: NaN is never best",
      [
        [0.5, 0.5],
        [0.9, "NaN"],
        [0.7, 0.7],
      ],
      1,
      "maximize",
      false,
      2,
    ],
    [
      "unknown (null) when NaN leaves one scored trial",
      [
        [0.5, 0.5],
        [0.9, "NaN"],
      ],
      1,
      "maximize",
      null,
      0,
    ],
    [
      "unknown (null) below two scored trials",
      [
        [0.5, 0.5],
        [0.9, undefined],
      ],
      0,
      "maximize",
      null,
      0,
    ],
    [
      "unknown (null) when the group has no best",
      [
        [0.5, 0.5],
        [0.9, 0.9],
      ],
      null,
      "maximize",
      null,
      1,
    ],
  ] as const)("%s", (_name, pairs, best, direction, stillBest, replayBest) => {
    const group = groupManifest(
      pairs.map((p) => (typeof p[0] === "number" ? p[0] : 0)),
      best,
      direction,
    );
    const reports = (pairs as unknown as readonly Pair[]).map(([o, r], i) => report(i, o, r));
    const summary = summarizeGroup(
      group,
      pairs.map((_, i) => i),
      reports,
    );
    expect(summary.best).toEqual({ original: best, replay: replayBest, stillBest });
  });

  it("never ranks a pruned trial best, nor correlates its cut-short objective", () => {
    const group = groupManifest([0.5, 0.9, 0.7], 1);
    group.trials[2] = { ...group.trials[2]!, status: "pruned", pruned: { step: 3, value: 0.7 } };
    const reports = [report(0, 0.5, 0.5), report(1, 0.9, 0.9), report(2, 0.99, 0.99)];
    const summary = summarizeGroup(group, [0, 1, 2], reports);
    expect(summary.best).toEqual({ original: 1, replay: 1, stillBest: true });
    expect(summary.trials.map((t) => t.replay)).toEqual([0.5, 0.9, 0.99]);
    expect(summary.spearman).toBe(1);
    reports[1] = report(1, 0.9, 0.4);
    expect(summarizeGroup(group, [0, 1, 2], reports)).toMatchObject({ best: { replay: 0, stillBest: false }, spearman: -1 });
  });

  it("says nothing of the best when the best trial was not replayed", () => {
    const group = groupManifest([0.5, 0.9, 0.7], 1);
    const summary = summarizeGroup(group, [0, 2], [report(0, 0.5, 0.5), report(2, 0.7, 0.7)]);
    expect(summary.best).toEqual({ original: 1, replay: 2, stillBest: null });
  });

  it.each([
    [
      "1 for the same order",
      [
        [0.1, 0.2],
        [0.5, 0.6],
        [0.9, 1],
      ],
      1,
    ],
    [
      "-1 for the reversed order",
      [
        [0.1, 1],
        [0.5, 0.6],
        [0.9, 0.2],
      ],
      -1,
    ],
    ["null below two pairs", [[0.1, 0.1]], null],
    [
      "null when only one trial has both values",
      [
        [0.1, 0.1],
        [null, 0.5],
        [0.3, undefined],
      ],
      null,
    ],
    [
      "over the pairs only, leaving out a trial without a replay value",
      [
        [0.1, 0.1],
        [0.5, undefined],
        [0.9, 0.9],
      ],
      1,
    ],
  ] as const)("gives a rank correlation of %s", (_name, pairs, expected) => {
    const group = groupManifest(
      pairs.map(() => 0.5),
      0,
    );
    const reports = (pairs as unknown as readonly Pair[]).map(([o, r], i) => report(i, o, r));
    expect(
      summarizeGroup(
        group,
        pairs.map((_, i) => i),
        reports,
      ).spearman,
    ).toBe(expected);
  });

  it("lists each trial's objective, with null for a string value", () => {
    const group = groupManifest([0.5, 0.9], 1);
    const summary = summarizeGroup(group, [0, 1], [report(0, 0.5, 0.5), report(1, 0.9, "Infinity")]);
    expect(summary).toMatchObject({ id: group.id, metric: "acc" });
    expect(summary.trials).toEqual([
      { index: 0, run: "run-0", verdict: "reproduced", original: 0.5, replay: 0.5 },
      { index: 1, run: "run-1", verdict: "reproduced", original: 0.9, replay: null },
    ]);
  });
});
