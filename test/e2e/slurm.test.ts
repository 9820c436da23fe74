// Searches on a real Slurm cluster: two one-CPU nodes on this host (scripts/slurm-cluster.sh), the built
// bin/mlx submitting one job per trial, each job running bin/mlx capture on its node.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";

const SCRIPTS = new URL("../../scripts/", import.meta.url).pathname;
const TRIAL = new URL("../fixtures/slurm/trial.mjs", import.meta.url).pathname;

function slurmInstalled(): boolean {
  const found = ["sbatch", "squeue", "slurmctld", "slurmd", "munged"].every((tool) => {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  });
  if (!found && process.env["CI"]) throw new Error("CI=true but Slurm is not installed: run scripts/setup-slurm.sh (root, Debian) first");
  if (!found)
    console.warn("\n*** SKIPPING Slurm e2e tests: slurm-wlm and munge are not installed. Run `bash scripts/setup-slurm.sh` (root). ***\n");
  return found;
}

interface Trial {
  index: number;
  status: string;
  placement?: { executor: string; jobId?: string; nodes?: string[] };
  lost?: Array<{ reason: string; placement: { nodes?: string[] } }>;
}

const ready = slurmInstalled();

describe.skipIf(!ready)("search trials as jobs on a real two-node Slurm cluster", () => {
  let cluster: Awaited<ReturnType<typeof tempDir>>;
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  const env: Record<string, string> = {};

  const slurm = (...args: string[]): string => execFileSync(args[0]!, args.slice(1), { encoding: "utf8", env: { ...process.env, ...env } });
  const search = (name: string, lines: string[]): string => {
    writeFileSync(
      join(repo.path, `${name}.yaml`),
      [`name: ${name}`, "executor: slurm", "metric: {name: score}", "run: node trial.mjs", ...lines, ""].join("\n"),
    );
    return `${name}.yaml`;
  };
  /** The search jobs (named mlx-<group id>) in the given states, one `id|name|state|nodes` line each. */
  const ourJobs = (states = "PENDING,RUNNING,COMPLETING"): string[] =>
    slurm("squeue", "-h", "-t", states, "-o", "%i|%j|%T|%N")
      .split("\n")
      .filter((l) => l.includes("|mlx-"));
  const waitRunning = async (count: number): Promise<void> => {
    for (let i = 0; i < 240 && ourJobs("RUNNING").length < count; i++) await sleep(250);
    expect(ourJobs("RUNNING")).toHaveLength(count);
  };

  beforeAll(async () => {
    execFileSync("bash", [join(SCRIPTS, "setup-slurm.sh")], { stdio: "inherit" });
    cluster = await tempDir("mlx-slurm-");
    const out = execFileSync("bash", [join(SCRIPTS, "slurm-cluster.sh"), "start", cluster.path], { encoding: "utf8" });
    env["SLURM_CONF"] = /SLURM_CONF=(\S+)/.exec(out)![1]!;
    repo = await makeExampleRepo({ "trial.mjs": readFileSync(TRIAL, "utf8") });
  }, 120_000);

  afterAll(async () => {
    // Even after a failure: stop the controller and nodes, and kill whatever job is left.
    if (cluster) execFileSync("bash", [join(SCRIPTS, "slurm-cluster.sh"), "stop", cluster.path], { stdio: "inherit" });
    await repo?.[Symbol.asyncDispose]();
    await cluster?.[Symbol.asyncDispose]();
  }, 60_000);

  it("runs six trials as six jobs over both nodes; the group names the nodes; it packs and its best trial replays", async () => {
    const spec = search("six", [
      "num_trials: 6",
      "concurrency: 2",
      "seed: 5",
      "params: {sleep_ms: 1500}",
      "param_space:",
      "  x: uniform(-1, 1)",
    ]);
    const r = await runMlx(["capture", "--config", spec, "--json"], { cwd: repo.path, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const group = JSON.parse(String(r.stdout)) as {
      id: string;
      spec: { executor: string };
      trials: Trial[];
      nodes?: Record<string, number[]>;
    };
    expect(group.spec.executor).toBe("slurm");
    expect(group.trials.map((t) => t.status)).toEqual(Array(6).fill("succeeded"));
    const jobIds = group.trials.map((t) => t.placement?.jobId);
    expect(new Set(jobIds).size).toBe(6);
    expect(new Set(group.trials.flatMap((t) => t.placement?.nodes ?? []))).toEqual(new Set(["n1", "n2"]));
    expect(Object.keys(group.nodes ?? {}).sort()).toEqual(["n1", "n2"]);
    expect(ourJobs()).toEqual([]);
    if (!dockerReady()) return;
    const packed = await runMlx(["pack", group.id], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
    const replayed = await runMlx(["replay", "bundle.tar", "--json", "--out", "best"], { cwd: repo.path });
    expect(replayed.exitCode, String(replayed.stderr)).toBe(0);
    expect(JSON.parse(String(replayed.stdout)).verdict).toBe("reproduced");
  }, 300_000);

  it("refuses a partition the cluster does not have with exit 2, naming slurm.partition", async () => {
    const spec = search("badpart", ["num_trials: 1", "param_space:", "  x: uniform(-1, 1)"]);
    const r = await runMlx(["capture", "--config", spec, "--slurm", '{"partition": "nope"}'], { cwd: repo.path, env });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/Invalid partition name/);
    expect(String(r.stderr)).toMatch(/slurm\.partition/);
  }, 60_000);

  it("Ctrl-C cancels every job of the search: none is left in squeue and the group is interrupted", async () => {
    const spec = search("ctrlc", ["num_trials: 4", "concurrency: 2", "params: {sleep_ms: 120000}", "param_space:", "  x: uniform(-1, 1)"]);
    const before = countRecords(repo.path, "running");
    const child = execa(MLX_BIN, ["capture", "--config", spec, "--json"], { cwd: repo.path, env, reject: false, stdin: "ignore" });
    await waitRunning(2);
    // Both captures have started their commands (a signal before mlx is up would find no record to mark).
    for (let i = 0; i < 120 && countRecords(repo.path, "running") - before < 2; i++) await sleep(250);
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(ourJobs()).toEqual([]);
    const group = JSON.parse(String(r.stdout)) as { status: string; trials: Trial[] };
    expect(group.status).toBe("interrupted");
    expect(group.trials.filter((t) => t.status === "interrupted")).toHaveLength(2);
  }, 120_000);

  it("a node that dies mid-search loses its trial, which is retried on the other node", async () => {
    const spec = search("nodefail", [
      "num_trials: 2",
      "concurrency: 2",
      "max_retries: 1",
      "params: {sleep_ms: 10000}",
      "param_space:",
      "  x: uniform(-1, 1)",
    ]);
    const child = execa(MLX_BIN, ["capture", "--config", spec, "--json"], { cwd: repo.path, env, reject: false, stdin: "ignore" });
    await waitRunning(2);
    await sleep(1000); // both captures have started their commands
    execFileSync("bash", [join(SCRIPTS, "slurm-cluster.sh"), "kill-node", cluster.path, "n1"], { stdio: "inherit" });
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const group = JSON.parse(String(r.stdout)) as { trials: Trial[] };
    expect(group.trials.map((t) => t.status)).toEqual(["succeeded", "succeeded"]);
    const retried = group.trials.filter((t) => (t.lost ?? []).length > 0);
    expect(retried).toHaveLength(1);
    expect(retried[0]!.lost![0]!.placement.nodes).toEqual(["n1"]);
    expect(retried[0]!.lost![0]!.reason).toMatch(/node failed/);
    expect(retried[0]!.placement?.nodes).toEqual(["n2"]);
    const record = parse(
      readFileSync(join(repo.path, ".mlx", "groups", (JSON.parse(String(r.stdout)) as { id: string }).id, "group.yaml"), "utf8"),
    );
    expect(record.trials[retried[0]!.index].lost).toHaveLength(1);
  }, 180_000);
});

/** Run records with this status (the first lines of manifest.yaml say it). */
function countRecords(root: string, status: string): number {
  const runs = join(root, ".mlx", "runs");
  if (!existsSync(runs)) return 0;
  return readdirSync(runs).filter((id) => {
    const file = join(runs, id, "manifest.yaml");
    return existsSync(file) && new RegExp(`^status: ${status}$`, "m").test(readFileSync(file, "utf8"));
  }).length;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
