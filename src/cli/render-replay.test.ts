import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { groupReasons, parseTrialReason, summarizeGroup } from "../replay/summarize-group.js";
import type { GroupSummary, ReplayReport } from "../record/types.js";
import { renderReplay, renderVerdict } from "./render-replay.js";
import { groupManifest, replayReport } from "../../test/helpers/records.js";

const report = (over: Partial<ReplayReport>): ReplayReport =>
  replayReport({ metrics: [{ name: "loss", original: 0.5, replay: 0.5, absDiff: 0, relDiff: 0, verdict: "same" }], ...over });

/** A group summary of `verdicts.length` trials, trial i with verdict verdicts[i]. */
function summary(verdicts: ReadonlyArray<"reproduced" | "diverged">, stillBest: boolean | null = true): GroupSummary {
  return {
    id: "g1",
    metric: "loss",
    trials: verdicts.map((verdict, index) => ({ index, run: `r${index}`, verdict, original: index, replay: index })),
    best: { original: 0, replay: stillBest === false ? 1 : 0, stillBest },
    spearman: null,
  };
}

describe("renderVerdict of a group replayed with --all", () => {
  it.each([
    [
      "every trial reproduced",
      summary(["reproduced", "reproduced", "reproduced", "reproduced", "reproduced", "reproduced"]),
      [],
      "REPRODUCED: 6 of 6 trials reproduced, each with every compared metric, its exit code and every output as recorded.",
    ],
    [
      "one trial diverged, with its reasons",
      summary(["reproduced", "reproduced", "reproduced", "diverged", "reproduced", "reproduced"]),
      ["trial 3: metric loss diverged", "trial 3: output model.json different"],
      "DIVERGED: 5 of 6 trials reproduced; trial 3 diverged: metric loss diverged, output model.json different.",
    ],
    [
      "two trials diverged, one with no reason recorded",
      summary(["diverged", "reproduced", "diverged"]),
      ["trial 0: exit code 1, recorded 0"],
      "DIVERGED: 1 of 3 trials reproduced; trial 0 diverged: exit code 1, recorded 0; trial 2 diverged.",
    ],
    [
      "every trial reproduced but the best changed",
      summary(["reproduced", "reproduced"], false),
      ["the best trial changed: 0 originally, 1 now"],
      "DIVERGED: 2 of 2 trials reproduced; the best trial changed: 0 originally, 1 now.",
    ],
  ])("%s", (_name, group, reasons, expected) => {
    const verdict = reasons.length === 0 ? "reproduced" : "diverged";
    expect(renderVerdict(report({ verdict, reasons, group }))).toBe(expected);
  });

  it("keeps the metric wording for a single run, and for a group's one replayed trial", () => {
    const one = "REPRODUCED: every compared metric (1), the exit code (0) and every output (0) as recorded.";
    expect(renderVerdict(report({}))).toBe(one);
    expect(renderVerdict(report({ group: summary(["reproduced"]) }))).toBe(one);
  });

  it("sanitizes a trial's reason that came from the bundle", () => {
    const text = renderVerdict(
      report({ verdict: "diverged", reasons: ["trial 1: metric a\u001b[2J diverged"], group: summary(["reproduced", "diverged"]) }),
    );
    expect(text).toBe("DIVERGED: 1 of 2 trials reproduced; trial 1 diverged: metric a\\x1b[2J diverged.");
  });
});

describe("groupReasons", () => {
  it("prefixes each trial's reasons with its index, says 'diverged' when a trial gave none, and adds a changed best", () => {
    const reports = [report({ verdict: "diverged", reasons: ["metric loss diverged"] }), report({}), report({ verdict: "diverged" })];
    const s = {
      ...summary(["diverged", "reproduced", "diverged"], false),
      trials: [0, 4, 7].map((index) => ({ ...summary(["reproduced"]).trials[0]!, index })),
    };
    const reasons = groupReasons(s, reports);
    expect(reasons).toEqual(["trial 0: metric loss diverged", "trial 7: diverged", "the best trial changed: 0 originally, 1 now"]);
    expect(reasons.map(parseTrialReason)).toEqual([{ index: 0, why: "metric loss diverged" }, { index: 7, why: "diverged" }, null]);
  });

  it("gives no reason when every trial reproduced and the best is still the best", () => {
    const reports = [report({ metrics: [] }), report({ metrics: [] })];
    const s = summarizeGroup(groupManifest([0.9, 0.5], 0), [0, 1], reports);
    expect(groupReasons(s, reports)).toEqual([]);
  });
});

describe("renderReplay colour", () => {
  const on = pc.createColors(true);
  it.each([
    ["green when reproduced", report({}), "\x1b[32mREPRODUCED"],
    ["red when diverged", report({ verdict: "diverged", reasons: ["metric loss diverged"] }), "\x1b[31mDIVERGED"],
    [
      "yellow when the reviewer stopped it",
      report({
        verdict: "diverged",
        reasons: ["interrupted"],
        container: { exitCode: 130, originalExitCode: 0, oomKilled: false, durationMs: 1, interruptedBy: "SIGINT" },
      }),
      "\x1b[33mDIVERGED",
    ],
  ])("the verdict line is %s", (_name, r, start) => {
    expect(renderReplay(r, "/out", on)).toContain(start);
  });

  it("has no escape code without colours", () => {
    expect(renderReplay(report({ verdict: "diverged", reasons: ["x"] }), "/out")).not.toContain("\x1b");
  });
});
