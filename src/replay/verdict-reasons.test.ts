import { describe, expect, it } from "vitest";
import { renderDuration, type VerdictInputs, verdictReasons } from "./verdict-reasons.js";

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
  ])("%s", (_name, change, expected) => {
    expect(verdictReasons({ ...clean, ...change })).toEqual(expected);
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
