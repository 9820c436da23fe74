import { describe, expect, it } from "vitest";
import { normalizeCaptureOptions } from "../../src/capture/capture-options.js";
import type { TrialExecutor, TrialOutcome } from "../../src/group/executor.js";
import { normalizeGroupSpec } from "../../src/group/group-spec.js";
import { runGroup } from "../../src/group/run-group.js";
import { rawCaptureOptions } from "../helpers/capture-in.js";
import { makeRepo } from "../helpers/git-repo.js";
import { groupDeps } from "../helpers/group-deps.js";

/** An executor whose commands end at once and whose records are finished only when the test says so. */
function slowRecords(): { executor: TrialExecutor; started: number[]; finish: (index: number) => void } {
  const started: number[] = [];
  const pending = new Map<number, (outcome: TrialOutcome) => void>();
  const executor: TrialExecutor = {
    name: "local",
    start(job) {
      started.push(job.index);
      const outcome = new Promise<TrialOutcome>((resolve) => pending.set(job.index, resolve));
      return { outcome, exited: Promise.resolve(), stop: () => undefined };
    },
    cancelAll: async () => undefined,
  };
  const finish = (index: number): void => pending.get(index)?.({ manifest: null, exitCode: 0, placement: { executor: "local" } });
  return { executor, started, finish };
}

async function search(cwd: string, failFast: boolean, executor: TrialExecutor) {
  const spec = normalizeGroupSpec(
    { name: "t", kind: "group", metric: { name: "loss" }, run: "node t.mjs", sampler: "grid", param_space: { x: [1, 2, 3, 4] } },
    "s.yaml",
    { argv: [], defaultConcurrency: 1 },
  );
  const base = normalizeCaptureOptions(rawCaptureOptions({ seedPreload: false }), spec.argv, cwd, { inputs: [], outputs: [], metrics: [] });
  return runGroup(spec, base, failFast, groupDeps({ executor }));
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setTimeout(r, 20));
}

describe("a search's schedule", () => {
  it("starts the next trial once a command has ended, while that trial's record is still being finished", async () => {
    await using repo = await makeRepo({ "t.mjs": "" });
    const { executor, started, finish } = slowRecords();
    const running = search(repo.path, false, executor);
    await until(() => started.length === 2);
    await settle();
    // Concurrency 1, and no record finished yet: the commands ran one after another, two records at most pending.
    expect(started).toEqual([0, 1]);
    finish(0);
    await until(() => started.length === 3);
    for (const i of [1, 2, 3]) {
      await until(() => started.length > i);
      finish(i);
    }
    const { manifest } = await running;
    expect(manifest.trials.map((t) => t.status)).toEqual(["failed", "failed", "failed", "failed"]);
  }, 30_000);

  it("under fail_fast waits for each trial's outcome before starting the next", async () => {
    await using repo = await makeRepo({ "t.mjs": "" });
    const { executor, started, finish } = slowRecords();
    const running = search(repo.path, true, executor);
    await until(() => started.length === 1);
    await settle();
    expect(started).toEqual([0]);
    finish(0);
    const { manifest } = await running;
    expect(manifest.trials.map((t) => t.status)).toEqual(["failed", "pending", "pending", "pending"]);
  }, 30_000);
});
