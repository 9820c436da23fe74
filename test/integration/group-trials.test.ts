import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { normalizeCaptureOptions } from "../../src/capture/capture-options.js";
import { gpuInfoFrom } from "../../src/facts/parse-nvidia-smi.js";
import type { TrialExecutor } from "../../src/group/executor.js";
import { normalizeGroupSpec } from "../../src/group/group-spec.js";
import { localExecutor } from "../../src/group/local-executor.js";
import { type GroupDeps, runGroup } from "../../src/group/run-group.js";
import { BadInputError } from "../../src/errors.js";
import type { GroupManifest, RunManifest } from "../../src/record/types.js";
import { rawCaptureOptions } from "../helpers/capture-in.js";
import { makeRepo } from "../helpers/git-repo.js";
import { groupDeps } from "../helpers/group-deps.js";
import { readSeries } from "../../src/metrics/read-series.js";
import { readDiffSide } from "../../src/inspect/read-diff-side.js";
import { planRemoval } from "../../src/inspect/remove-records.js";
import { resolveRecord } from "../../src/record/group-store.js";

// A trial: `steps` lines of `step=k loss=...` (x plus a falling curve), then its own model file and the final loss.
const TRIAL = `
import { mkdirSync, writeFileSync } from "node:fs";
const p = JSON.parse(process.env.MLX_PARAMS);
const steps = Number(p.steps ?? 0);
for (let s = 0; s < steps; s++) {
  console.log("step=" + s + " loss=" + (p.x + (steps - s) / steps));
  await new Promise((r) => setTimeout(r, Number(p.sleep ?? 0)));
}
mkdirSync("model", { recursive: true });
writeFileSync("model/model.json", JSON.stringify({ x: p.x, gpus: process.env.CUDA_VISIBLE_DEVICES ?? null }) + "\\n");
console.log("loss=" + p.x);
`;

async function search(cwd: string, yaml: Record<string, unknown>, over: Partial<GroupDeps> = {}) {
  const spec = normalizeGroupSpec(
    { name: "t", kind: "group", metric: { name: "loss", direction: "minimize" }, run: "node trial.mjs", ...yaml },
    "s.yaml",
    { argv: [], defaultConcurrency: 2 },
  );
  const base = normalizeCaptureOptions(rawCaptureOptions({ seedPreload: false }), spec.argv, cwd, {
    inputs: [...spec.inputs],
    outputs: [...spec.outputs],
    metrics: [...spec.metricFiles],
  });
  return runGroup(spec, base, false, groupDeps(over));
}

const runOf = (cwd: string, id: string): RunManifest => parse(readFileSync(join(cwd, ".mlx", "runs", id, "manifest.yaml"), "utf8"));
const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

describe("a search's trials", () => {
  it("each run in a copy of their own: a fixed output name keeps each trial's own content and hash", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL, ".gitignore": "model/\n" });
    const { manifest } = await search(repo.path, {
      num_trials: 4,
      concurrency: 2,
      sampler: "grid",
      param_space: { x: [1, 2, 3, 4] },
      params: { steps: 3, sleep: 30 },
      outputs: ["model/model.json"],
    });
    expect(manifest.trials.map((t) => t.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    for (const t of manifest.trials) {
      const run = runOf(repo.path, t.runId!);
      expect(run.command.cwd).toBe(".");
      expect(run.outputs[0]!.sha256).toBe(sha256(JSON.stringify({ x: t.params["x"], gpus: null }) + "\n"));
      expect(t.placement).toMatchObject({ executor: "local" });
    }
    expect(existsSync(join(repo.path, "model"))).toBe(false); // nothing written in the researcher's tree
    expect(existsSync(join(repo.path, ".mlx", "work", manifest.id))).toBe(false); // copies removed
    expect(
      Object.values(manifest.nodes ?? {})
        .flat()
        .sort(),
    ).toEqual([0, 1, 2, 3]);
  }, 60_000);

  it("are not `latest` once the search ends: the group is, for every command that resolves a record", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    const { manifest } = await search(repo.path, { num_trials: 2, concurrency: 1, sampler: "grid", param_space: { x: [1, 2] } });
    expect(await resolveRecord(repo.path, "latest")).toEqual({ kind: "group", id: manifest.id });
    expect(await planRemoval(repo.path, ["latest"])).toEqual({ groups: [manifest.id], runs: manifest.trials.map((t) => t.runId).sort() });
    await expect(readDiffSide(repo.path, repo.path, "latest")).rejects.toMatchObject({ exitCode: 2, message: /is a search group/ });
    // A trial named by its id is still the run.
    expect(await resolveRecord(repo.path, manifest.trials[1]!.runId!)).toEqual({ kind: "run", id: manifest.trials[1]!.runId });
  }, 60_000);

  it("are pruned when clearly worse early (median rule): fewer steps run, recorded as pruned, never best", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    const space = { param_space: { x: [0.02, 0.01, 0, 10, 10.1, 10.2] }, sampler: "grid", num_trials: 6, concurrency: 1 };
    const params = { params: { steps: 10, sleep: 40 } };
    const stepsRun = async (cwd: string, runs: Array<string | null>): Promise<number> => {
      let n = 0;
      for (const id of runs)
        n += (await readSeries(join(cwd, ".mlx", "runs", id!, "metrics.jsonl"))).filter((p) => p.step !== undefined).length;
      return n;
    };
    const full = await search(repo.path, { ...space, ...params, pruner: "none" });
    const pruned = await search(repo.path, { ...space, ...params, pruner: { type: "median", n_startup_trials: 2 } });
    expect(full.manifest.trials.map((t) => t.status)).toEqual(Array(6).fill("succeeded"));
    expect(pruned.manifest.trials.map((t) => t.status)).toEqual(["succeeded", "succeeded", "succeeded", "pruned", "pruned", "pruned"]);
    const fullSteps = await stepsRun(
      repo.path,
      full.manifest.trials.map((t) => t.runId),
    );
    const prunedSteps = await stepsRun(
      repo.path,
      pruned.manifest.trials.map((t) => t.runId),
    );
    expect(fullSteps).toBe(60);
    expect(prunedSteps).toBeLessThan(45);
    const cut = pruned.manifest.trials[3]!;
    expect(cut.pruned!.step).toBeLessThan(10);
    expect(pruned.manifest.warnings).toEqual([]);
    const run = runOf(repo.path, cut.runId!);
    expect(run.tags).toContain("pruned");
    expect(run.warnings).toContain(
      `pruned by the search at step ${cut.pruned!.step} (loss best so far ${cut.pruned!.value}): stopped early on purpose`,
    );
    expect(pruned.manifest.best?.index).toBe(2);
    expect(pruned.exitCode).toBe(0);
  }, 60_000);

  it("lost by their executor are retried up to max_retries, each attempt's reason kept", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    const base = groupDeps();
    const local = localExecutor({ ...base });
    const tries: string[] = [];
    const flaky: TrialExecutor = {
      name: "slurm",
      start(job) {
        tries.push(`${job.index}/${job.attempt}`);
        if (job.index === 1 || (job.index === 0 && job.attempt === 0)) {
          const outcome = {
            manifest: null,
            exitCode: null,
            placement: { executor: "slurm" as const, jobId: `j${tries.length}`, nodes: [`n${job.attempt}`] },
            lost: { reason: `node n${job.attempt} not responding`, retryable: true },
          };
          return { outcome: Promise.resolve(outcome), stop: () => undefined };
        }
        return local.start(job);
      },
      cancelAll: () => local.cancelAll(),
    };
    const { manifest } = await search(
      repo.path,
      { num_trials: 2, concurrency: 1, sampler: "grid", param_space: { x: [1, 2] }, max_retries: 2 },
      {
        executor: flaky,
      },
    );
    expect(tries).toEqual(["0/0", "0/1", "1/0", "1/1", "1/2"]);
    expect(manifest.trials[0]).toMatchObject({
      status: "succeeded",
      lost: [{ attempt: 0, reason: "node n0 not responding", runId: null }],
    });
    expect(manifest.trials[1]!.status).toBe("lost");
    expect(manifest.trials[1]!.lost!.map((l) => l.placement.nodes)).toEqual([["n0"], ["n1"], ["n2"]]);
    expect(manifest.spec).toMatchObject({ executor: "slurm", maxRetries: 2 });
  }, 60_000);

  it("on Ctrl-C ask the executor to cancel them all, are not retried, and the group is marked interrupted", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    const handlers = new Set<(signal: NodeJS.Signals) => void>();
    let stopped = false;
    let cancelled = 0;
    const waiting: Array<(outcome: Awaited<ReturnType<TrialExecutor["start"]>["outcome"]>) => void> = [];
    const hanging: TrialExecutor = {
      name: "slurm",
      start: () => ({ outcome: new Promise((resolve) => waiting.push(resolve)), stop: () => undefined }),
      async cancelAll() {
        cancelled++;
        const lost = { reason: "cancelled (scancel)", retryable: true };
        for (const resolve of waiting.splice(0)) resolve({ manifest: null, exitCode: null, placement: { executor: "slurm" }, lost });
      },
    };
    const running = search(
      repo.path,
      { num_trials: 4, concurrency: 2, sampler: "grid", param_space: { x: [1, 2, 3, 4] } },
      {
        executor: hanging,
        interrupts: { on: (h) => void handlers.add(h), off: (h) => void handlers.delete(h) },
        stopped: () => stopped,
      },
    );
    while (waiting.length < 2) await new Promise((r) => setTimeout(r, 10));
    stopped = true;
    for (const handler of [...handlers]) handler("SIGINT");
    const { manifest, exitCode } = await running;
    expect(cancelled).toBe(1);
    expect(exitCode).toBe(130);
    expect(manifest.status).toBe("interrupted");
    expect(manifest.trials.map((t) => t.status)).toEqual(["lost", "lost", "pending", "pending"]);
    expect(manifest.trials[0]!.lost).toEqual([
      { attempt: 0, runId: null, reason: "cancelled (scancel)", placement: { executor: "slurm" } },
    ]);
  }, 60_000);

  it("refused by their executor (sbatch exit 2) cancel the rest and leave the group failed, not running", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    let cancelled = 0;
    const waiting: Array<(outcome: Awaited<ReturnType<TrialExecutor["start"]>["outcome"]>) => void> = [];
    const refusing: TrialExecutor = {
      name: "slurm",
      start(job) {
        if (job.index === 0) return { outcome: new Promise((resolve) => waiting.push(resolve)), stop: () => undefined };
        return {
          outcome: Promise.reject(new BadInputError("sbatch refused the job: invalid partition", "Fix slurm.partition.")),
          stop: () => undefined,
        };
      },
      async cancelAll() {
        cancelled++;
        const lost = { reason: "cancelled (scancel)", retryable: true };
        for (const resolve of waiting.splice(0)) resolve({ manifest: null, exitCode: null, placement: { executor: "slurm" }, lost });
      },
    };
    const error = await search(
      repo.path,
      { num_trials: 3, concurrency: 2, sampler: "grid", param_space: { x: [1, 2, 3] } },
      { executor: refusing },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).exitCode).toBe(2);
    expect(cancelled).toBe(1);
    const [id] = readdirSync(join(repo.path, ".mlx", "groups"));
    const group = parse(readFileSync(join(repo.path, ".mlx", "groups", id!, "group.yaml"), "utf8")) as GroupManifest;
    expect(group.status).toBe("failed");
    expect(group.trials.map((t) => [t.status, t.runId])).toEqual([
      ["lost", null],
      ["failed", null],
      ["pending", null],
    ]);
  }, 60_000);

  it("hold disjoint GPUs: gpus_per_trial 2 on four GPUs runs two at a time, each with its own pair", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    const fixture = (ext: string): string => readFileSync(new URL(`../fixtures/nvidia-smi/h200x4-580.${ext}`, import.meta.url), "utf8");
    const devices = gpuInfoFrom(fixture("query.csv"), fixture("banner.txt")).devices.map((d) => d.index);
    const { manifest } = await search(
      repo.path,
      {
        num_trials: 4,
        concurrency: 4,
        sampler: "grid",
        param_space: { x: [1, 2, 3, 4] },
        params: { steps: 2, sleep: 50 },
        gpus_per_trial: 2,
      },
      { probeGpus: async () => ({ devices, reason: "" }) },
    );
    expect(manifest.spec.concurrency).toBe(2);
    expect(manifest.trials.map((t) => t.status)).toEqual(Array(4).fill("succeeded"));
    expect(
      manifest.trials
        .slice(0, 2)
        .map((t) => t.gpus)
        .sort(),
    ).toEqual(["0,1", "2,3"]);
    for (const t of manifest.trials) expect(runOf(repo.path, t.runId!).env.vars["CUDA_VISIBLE_DEVICES"]).toBe(t.gpus);
  }, 60_000);

  it("refuses gpus_per_trial on a host without GPUs before anything runs (exit 3, no group record)", async () => {
    await using repo = await makeRepo({ "trial.mjs": TRIAL });
    await expect(
      search(
        repo.path,
        { num_trials: 1, param_space: { x: [1] }, gpus_per_trial: 0.5 },
        {
          probeGpus: async () => ({ devices: [], reason: "nvidia-smi not found on PATH" }),
        },
      ),
    ).rejects.toMatchObject({ exitCode: 3, message: expect.stringMatching(/no GPU \(nvidia-smi not found on PATH\)/) });
    expect(existsSync(join(repo.path, ".mlx", "groups"))).toBe(false);
  });
});
