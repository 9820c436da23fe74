import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx } from "../helpers/mlx.js";

const ready = dockerReady();

// Sixty steps (9 s) of a loss that starts at x + 1 and falls to x; the final loss without a step. Long
// enough that a replay stopped at step 2 ends before the last step, through docker stop's grace period
// too (node as the container's process 1 ignores SIGTERM: it is killed 5 s later).
const TRIAL = `
const p = JSON.parse(process.env.MLX_PARAMS);
for (let s = 0; s < p.steps; s++) {
  console.log("step=" + s + " loss=" + (p.x + (p.steps - s) / p.steps));
  await new Promise((r) => setTimeout(r, p.sleep));
}
console.log("loss=" + p.x);
`;

const SPEC = [
  "name: pruned-e2e",
  "kind: group",
  "num_trials: 3",
  "sampler: grid",
  "concurrency: 1",
  "param_space:",
  "  x: [0.01, 0, 10]",
  "params: { steps: 60, sleep: 150 }",
  "metric: { name: loss, direction: minimize }",
  "run: node trial.mjs",
  "pruner: { type: median, n_startup_trials: 2, n_warmup_steps: 2 }",
  "",
].join("\n");

describe.skipIf(!ready)("replay of a pruned trial with a real Docker engine", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;

  beforeAll(async () => {
    repo = await makeExampleRepo({ "trial.mjs": TRIAL });
    writeFileSync(join(repo.path, "s.yaml"), SPEC);
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const group = JSON.parse(String(r.stdout)) as { id: string; trials: Array<{ status: string; pruned?: { step: number } }> };
    expect(group.trials.map((t) => t.status)).toEqual(["succeeded", "succeeded", "pruned"]);
    expect(group.trials[2]!.pruned!.step).toBe(2);
    const packed = await runMlx(["pack", group.id], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
  }, 300_000);
  afterAll(async () => repo && (await repo[Symbol.asyncDispose]()));

  it("replays every trial, the pruned one stopped at its step as the original: all reproduce, the best is still the best", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--all", "--concurrency", "2", "--json", "--out", "all"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const report = JSON.parse(String(r.stdout));
    expect(report.verdict).toBe("reproduced");
    expect(report.group.trials.map((t: { verdict: string }) => t.verdict)).toEqual(["reproduced", "reproduced", "reproduced"]);
    expect(report.group.best).toEqual({ original: 1, replay: 1, stillBest: true });
    const pruned = parse(readFileSync(join(repo.path, "all", "trials", "2", "replay.yaml"), "utf8"));
    expect(pruned).toMatchObject({ verdict: "reproduced", container: { prunedAt: 2 } });
    expect(pruned.container.interruptedBy).toBeUndefined();
    // Stopped at its step, not run to the end: fewer than the sixty steps in its own series.
    const steps = readFileSync(join(repo.path, "all", "trials", "2", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n").length;
    expect(steps).toBeLessThan(60);
    expect(existsSync(join(repo.path, "all", "trials", "2", "original-metrics.jsonl"))).toBe(true);
  }, 300_000);
});
