import { describe, expect, it } from "vitest";
import { normalizeGroupSpec } from "./group-spec.js";
import { MEDIAN_DEFAULTS } from "./median-pruner.js";
import { renderPruner } from "./pruner-spec.js";

const spec = (extra: Record<string, unknown>) =>
  normalizeGroupSpec({ param_space: { x: "uniform(0, 1)" }, metric: { name: "loss" }, run: "node t.js", ...extra }, "s.yaml", {
    argv: [],
    defaultConcurrency: 2,
  });

describe("a search spec's pruner, retries, GPUs per trial", () => {
  it.each<[string, Record<string, unknown>, object]>([
    [
      "none by default, one retry, no GPUs, copies removed",
      {},
      { pruner: { type: "none" }, maxRetries: 1, gpusPerTrial: 0, keepWorkdirs: false },
    ],
    ["pruner: median takes Optuna's defaults", { pruner: "median" }, { pruner: MEDIAN_DEFAULTS }],
    ["pruner: none", { pruner: "none" }, { pruner: { type: "none" } }],
    [
      "a mapping overrides some settings",
      { pruner: { type: "median", n_startup_trials: 2, interval_steps: 5 } },
      { pruner: { ...MEDIAN_DEFAULTS, nStartupTrials: 2, intervalSteps: 5 } },
    ],
    [
      "max_retries, gpus_per_trial, keep_workdirs",
      { max_retries: 0, gpus_per_trial: 0.5, keep_workdirs: true },
      { maxRetries: 0, gpusPerTrial: 0.5, keepWorkdirs: true },
    ],
  ])("%s", (_, extra, expected) => {
    expect(spec(extra)).toMatchObject(expected);
  });

  it.each<[Record<string, unknown>, RegExp]>([
    [{ pruner: "hyperband" }, /pruner/],
    [{ pruner: { type: "median", n_warmup: 3 } }, /pruner/],
    [{ pruner: { type: "median", interval_steps: 0 } }, /interval_steps/],
    [{ max_retries: -1 }, /max_retries/],
    [{ gpus_per_trial: 1.5 }, /gpus_per_trial 1.5 is not a fraction below 1 or a whole number/],
    [{ max_retry: 2 }, /unknown key 'max_retry'/],
  ])("refuses %j (exit 2)", (extra, message) => {
    expect(() => spec(extra)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }));
  });

  it("names the pruner in the group record", () => {
    expect([renderPruner({ type: "none" }), renderPruner(MEDIAN_DEFAULTS)]).toEqual([
      "none",
      "median(startup 5, warmup 0, interval 1, min 1)",
    ]);
  });
});
