import { describe, expect, it } from "vitest";
import { decidePrune, MEDIAN_DEFAULTS, medianOf, type MedianPruner, stepValuesOf, valuesUpTo } from "./median-pruner.js";

const steps = (...values: number[]): Map<number, number> => new Map(values.map((v, i) => [i, v]));
const at = (entries: Array<[number, number]>): Map<number, number> => new Map(entries);
const p = (over: Partial<MedianPruner> = {}): MedianPruner => ({ ...MEDIAN_DEFAULTS, nStartupTrials: 0, ...over });
const done3 = [steps(1, 2, 3), steps(2, 3, 4), steps(3, 4, 5)]; // medians by step: 2, 3, 4

describe("decidePrune follows Optuna's MedianPruner", () => {
  it.each<[string, MedianPruner, "maximize" | "minimize", Map<number, number>, Map<number, number>[], boolean | null]>([
    ["no completed trial: never", p(), "maximize", steps(0), [], null],
    ["fewer completed trials than n_startup_trials", p({ nStartupTrials: 5 }), "maximize", steps(0), done3, null],
    ["worse than the median at its step (maximize)", p(), "maximize", steps(1.5), done3, true],
    ["equal to the median: kept", p(), "maximize", steps(2), done3, false],
    ["better than the median: kept", p(), "maximize", steps(2.5), done3, false],
    ["its best value so far counts, not its last", p(), "maximize", steps(3.5, 0), done3, false],
    ["minimize: above the median is worse", p(), "minimize", steps(2.5), done3, true],
    ["minimize: below the median is kept", p(), "minimize", steps(1.5), done3, false],
    ["before n_warmup_steps: never", p({ nWarmupSteps: 2 }), "maximize", steps(0, 0), done3, null],
    ["at n_warmup_steps: checked", p({ nWarmupSteps: 2 }), "maximize", steps(0, 0, 0), done3, true],
    ["interval 2 from warm-up 0: step 1 is not checked", p({ intervalSteps: 2 }), "maximize", steps(0, 0), done3, null],
    ["interval 2: step 2 is", p({ intervalSteps: 2 }), "maximize", steps(0, 0, 0), done3, true],
    [
      "interval 2: step 3 after a missed check at 2 is checked",
      p({ intervalSteps: 2 }),
      "maximize",
      at([
        [1, 0],
        [3, 0],
      ]),
      [at([[3, 5]])],
      true,
    ],
    ["no completed value at that step: kept", p(), "maximize", at([[7, 0]]), done3, null],
    ["fewer values than n_min_trials at the step", p({ nMinTrials: 4 }), "maximize", steps(0), done3, null],
    ["a NaN best value prunes", p(), "maximize", steps(NaN), done3, true],
    ["median of an even count is the mean of the middle two", p(), "maximize", steps(1.9), [steps(1), steps(3)], true],
  ])("%s", (_, pruner, direction, trial, completed, expected) => {
    const decision = decidePrune(pruner, direction, trial, completed);
    expect(decision === null ? null : decision.prune).toBe(expected);
  });

  it("says the step and the best value it decided at", () => {
    expect(decidePrune(p(), "minimize", steps(9, 8, 7), done3)).toEqual({ prune: true, step: 2, value: 7 });
  });
});

describe("the series as a pruner reads it", () => {
  it("keeps the named metric's points with a step, the last value at a step winning", () => {
    const points = [
      { name: "loss", value: 3, step: 0 },
      { name: "acc", value: 0.1, step: 0 },
      { name: "loss", value: 2 },
      { name: "loss", value: 2.5, step: 1 },
      { name: "loss", value: 2.4, step: 1 },
    ];
    expect([...stepValuesOf(points, "loss")]).toEqual([
      [0, 3],
      [1, 2.4],
    ]);
  });

  it("cuts a trial's values at a step, and takes the median like numpy", () => {
    expect([...valuesUpTo(steps(1, 2, 3), 1)]).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect([medianOf([3, 1, 2]), medianOf([4, 1, 3, 2]), medianOf([NaN, 1]), medianOf([])]).toEqual([2, 2.5, 1, NaN]);
  });
});
