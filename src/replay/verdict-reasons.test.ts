import { describe, expect, it } from "vitest";
import type { DriftRow, MetricRow } from "../record/types.js";
import { NOT_DETERMINISTIC, prunedNote, renderDuration, type VerdictInputs, verdictReasons } from "./verdict-reasons.js";

const moved: MetricRow = { name: "acc", original: 0.5, replay: 0.6, absDiff: 0.1, relDiff: 0.2, verdict: "diverged" };
const same: DriftRow = { what: "numpy", original: "1.24.2", replay: "1.24.2", same: true };
const differs: DriftRow = { what: "OMP_NUM_THREADS", original: "1", replay: "unset", same: false };

const clean: VerdictInputs = {
  metrics: [{ name: "acc", original: 0.5, replay: 0.5, absDiff: 0, relDiff: 0, verdict: "same" }],
  series: [],
  outputs: [{ path: "model.json", original: "a", replay: "a", verdict: "same" }],
  exitCode: 0,
  originalExitCode: 0,
  oomKilled: false,
  memoryBytes: 1024,
  timedOut: false,
  timeoutMs: 600_000,
  interruptedBy: null,
};

describe("verdictReasons", () => {
  it.each<[string, Partial<VerdictInputs>, string[]]>([
    ["none when everything reproduced", {}, []],
    [
      "each diverged, missing or extra metric",
      {
        metrics: [
          { name: "acc", original: 0.5, replay: 0.6, absDiff: 0.1, relDiff: 0.2, verdict: "diverged", reason: "beyond atol 0 + rtol 0" },
          { name: "loss", original: 1, replay: null, absDiff: null, relDiff: null, verdict: "missing" },
          { name: "f1", original: 1, replay: 1, absDiff: 0, relDiff: 0, verdict: "within" },
        ],
      },
      ["metric acc diverged (beyond atol 0 + rtol 0)", "metric loss missing"],
    ],
    ["a series that diverged", { series: [{ name: "loss", step: 3, original: 1, replay: 2 }] }, ["series loss diverged at step 3"]],
    [
      "an output that is not the same",
      { outputs: [{ path: "model.json", original: "a", replay: "b", verdict: "different" }] },
      ["output model.json different"],
    ],
    ["the exit code", { exitCode: 1 }, ["exit code 1, recorded 0"]],
    [
      "OOM, with the exit code it caused",
      { oomKilled: true, exitCode: 137 },
      ["out of memory (--memory 1024 bytes)", "exit code 137, recorded 0"],
    ],
    ["the timeout, not the exit code it caused", { timedOut: true, exitCode: 137 }, ["stopped at the time limit (--timeout 10m)"]],
    ["an interrupt", { interruptedBy: "SIGINT", exitCode: 130 }, ["interrupted by SIGINT"]],
    [
      "a metric that moved while every environment line is the same: the run's own",
      { metrics: [moved], drift: [same] },
      ["metric acc diverged", NOT_DETERMINISTIC],
    ],
    [
      "a series that moved in an identical environment",
      { series: [{ name: "loss", step: 2, original: 1, replay: 2 }], drift: [same] },
      ["series loss diverged at step 2", NOT_DETERMINISTIC],
    ],
    ["a metric that moved while a line differs: nothing more said", { metrics: [moved], drift: [same, differs] }, ["metric acc diverged"]],
    ["identical environment but nothing numeric moved", { exitCode: 1, drift: [same] }, ["exit code 1, recorded 0"]],
    [
      "a pruned trial stopped at its step: not its exit code",
      { pruned: { step: 3, reached: true }, exitCode: 143, originalExitCode: 130 },
      [],
    ],
    [
      "a pruned trial that ended before its step, with the exit code it ended with",
      { pruned: { step: 3, reached: false }, exitCode: 0, originalExitCode: 130 },
      ["ended before step 3, where the original was pruned", "exit code 0, recorded 130"],
    ],
    [
      "a pruned trial whose values moved before its step in an identical environment: the run's own",
      { pruned: { step: 3, reached: true }, series: [{ name: "loss", step: 1, original: 1, replay: 2 }], exitCode: 143, drift: [same] },
      ["series loss diverged at step 1", NOT_DETERMINISTIC],
    ],
    [
      "a pruned trial the reviewer stopped before its step: the interrupt only",
      { pruned: { step: 3, reached: false }, interruptedBy: "SIGINT", exitCode: 130 },
      ["interrupted by SIGINT"],
    ],
    [
      "a pruned trial stopped at its step but out of memory",
      { pruned: { step: 3, reached: true }, oomKilled: true, exitCode: 137 },
      ["out of memory (--memory 1024 bytes)"],
    ],
    [
      "a metric that moved after an OOM: not the run's nondeterminism",
      { metrics: [moved], oomKilled: true, drift: [same] },
      ["metric acc diverged", "out of memory (--memory 1024 bytes)"],
    ],
  ])("%s", (_name, change, expected) => {
    expect(verdictReasons({ ...clean, ...change })).toEqual(expected);
  });
});

describe("prunedNote", () => {
  it("says where the replay was stopped, as the original", () => {
    expect(prunedNote(7)).toBe("pruned at step 7, as the original: metrics and series compared up to that step, the exit code not");
  });
});

describe("renderDuration", () => {
  it.each([
    [0, "0s"],
    [90_000, "1m30s"],
    [600_000, "10m"],
    [7_200_000, "2h"],
    [3_661_000, "1h1m1s"],
  ])("%d ms is %s", (ms, text) => expect(renderDuration(ms)).toBe(text));
});
