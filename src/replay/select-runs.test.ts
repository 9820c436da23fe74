import { describe, expect, it } from "vitest";
import { selectRuns, type TrialChoice } from "./select-runs.js";
import { runManifest, groupManifest } from "../../test/helpers/records.js";

const single = [runManifest({ id: "only" })];
const trialRuns = [0, 1, 2].map((i) => runManifest({ id: `run-${i}` }));
// Trial 1 failed before it ran: it has no run in the bundle.
const group = groupManifest([0.5, null, 0.9], 2);

describe("selectRuns", () => {
  it.each([
    ["the run of a single-run bundle", single, null, "best", ["only:0"]],
    ["the best trial of a group by default", trialRuns, group, "best", ["run-2:2"]],
    ["one trial with --trial N", trialRuns, group, 0, ["run-0:0"]],
    ["every trial that has a run with --all, in index order", trialRuns, group, "all", ["run-0:0", "run-2:2"]],
  ] as const)("picks %s", (_name, runs, g, trials, expected) => {
    expect(selectRuns(runs, g, trials).map((s) => `${s.run.id}:${s.index}`)).toEqual(expected);
  });

  it.each([
    ["--trial on a single-run bundle", single, null, 0, /--trial and --all are for group bundles/],
    ["--all on a single-run bundle", single, null, "all", /--trial and --all are for group bundles/],
    ["a trial the group does not have", trialRuns, group, 7, /group \S+ has no recorded trial 7/],
    ["a trial that never ran", trialRuns, group, 1, /has no recorded trial 1/],
    ["the best of a group without one", trialRuns, groupManifest([null, null], null), "best", /has no best trial/],
  ] as const)("refuses %s with exit 2", (_name, runs, g, trials: TrialChoice, message) => {
    expect(() => selectRuns(runs, g, trials)).toThrow(message);
    expect(() => selectRuns(runs, g, trials)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it("names the trials there are when the asked one is missing", () => {
    expect(() => selectRuns(trialRuns, group, 7)).toThrow(expect.objectContaining({ hint: "Trials: 0, 2." }));
  });

  it("refuses a selected run whose command had secrets redacted, naming the positions", () => {
    const redacted = [runManifest({ id: "r", command: { argv: ["node", "t.js", "***"], redactedArgs: [2], shell: false, cwd: "." } })];
    expect(() => selectRuns(redacted, null, "best")).toThrow(/run r has redacted secrets \(argv\[2\]\)/);
  });

  it("refuses nothing for a redacted run it did not select", () => {
    const runs = [
      runManifest({ id: "run-0", command: { argv: ["x", "***"], redactedArgs: [1], shell: false, cwd: "." } }),
      ...trialRuns.slice(1),
    ];
    expect(selectRuns(runs, group, 2).map((s) => s.run.id)).toEqual(["run-2"]);
  });
});
