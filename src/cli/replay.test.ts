import { describe, expect, it } from "vitest";
import { DEFAULT_TOLERANCE } from "../metrics/compare-metrics.js";
import type { ReplayReport } from "../record/types.js";
import { renderReplay } from "./render-replay.js";
import { toleranceOf } from "./replay.js";
import { replayReport } from "../../test/helpers/records.js";

describe("toleranceOf", () => {
  it.each([
    ["the one default when none is given", undefined, undefined, { ...DEFAULT_TOLERANCE }],
    ["--rtol over the default, explicit", 1e-3, undefined, { ...DEFAULT_TOLERANCE, rtol: 1e-3, explicit: true }],
    ["--atol over the default, explicit", undefined, 0.5, { ...DEFAULT_TOLERANCE, atol: 0.5, explicit: true }],
    ["both", 0, 0, { rtol: 0, atol: 0, perMetric: {}, explicit: true }],
  ])("gives %s", (_name, rtol, atol, expected) => {
    expect(toleranceOf(rtol, atol)).toEqual(expected);
  });
});

describe("renderReplay", () => {
  const report = (over: Partial<ReplayReport>): ReplayReport => replayReport({ verdict: "diverged", ...over });

  it("states every reason on the verdict line, an output's too", () => {
    const text = renderReplay(report({ reasons: ["output model.json different", "series loss diverged at step 3"] }), "/out");
    expect(text).toContain("DIVERGED: output model.json different; series loss diverged at step 3.");
  });

  it("says what exit 0 covers when reproduced", () => {
    const text = renderReplay(report({ verdict: "reproduced", reasons: [] }), "/out");
    expect(text).toContain("REPRODUCED: every compared metric (0), the exit code (0) and every output (0) as recorded.");
  });

  it("never prints a control character that came from the bundle", () => {
    const evil = "acc\u001b]0;pwned\u0007\u001b[2J\nREPRODUCED: all good";
    const text = renderReplay(
      report({
        metrics: [{ name: evil, original: 1, replay: 2, absDiff: 1, relDiff: 1, verdict: "diverged" }],
        outputs: [{ path: `o${evil}`, original: "a", replay: "b", verdict: "different" }],
        warnings: [evil],
        reasons: [`metric ${evil} diverged`],
      }),
      "/out",
    );
    // eslint-disable-next-line no-control-regex -- no control character may reach the terminal
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text.split("\n").filter((l) => l.startsWith("REPRODUCED"))).toEqual([]);
    expect(text).toContain("acc\\x1b]0;pwned\\x07\\x1b[2J\\x0aREPRODUCED: all good");
  });
});
