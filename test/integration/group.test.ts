import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { FIXTURES, MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";
import type { GroupManifest, GroupTrial, RunManifest } from "../../src/record/types.js";

const TRIAL = join(FIXTURES, "bin", "trial.mjs");

function spec(extra: string, over: Record<string, string> = {}): string {
  const base: Record<string, string> = {
    name: "t",
    kind: "group",
    num_trials: "6",
    sampler: "random",
    seed: "7",
    concurrency: "2",
    param_space: "\n  x: uniform(-1, 1)\n  h: choice([8, 16])",
    metric: "\n  name: score\n  direction: maximize",
    run: `node ${TRIAL}`,
    ...over,
  };
  return (
    Object.entries(base)
      .map(([k, v]) => `${k}: ${v}`)
      .join("\n") +
    "\n" +
    extra
  );
}

async function group(cwd: string): Promise<GroupManifest> {
  const ids = await readdir(join(cwd, ".mlx", "groups"));
  return parse(readFileSync(join(cwd, ".mlx", "groups", ids.sort().at(-1)!, "group.yaml"), "utf8"));
}

describe("search groups", () => {
  it("runs every trial as a captured run, ranks them, and repeats exactly from the same seed", async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "s.yaml"), spec("params:\n  fixed: 1\n"));
    const a = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: dir.path });
    expect(a.exitCode, String(a.stderr)).toBe(0);
    const g: GroupManifest = JSON.parse(String(a.stdout));
    expect(g).toMatchObject({ kind: "Group", status: "succeeded", spec: { sampler: "random", seed: 7, concurrency: 2 } });
    expect(g.trials).toHaveLength(6);
    for (const t of g.trials) {
      expect(t.status).toBe("succeeded");
      expect(t.params.fixed).toBe(1);
      expect(t.metric).toBeCloseTo(-(((t.params["x"] as number) - 0.3) ** 2), 12);
      const run: RunManifest = JSON.parse(String((await runMlx(["show", t.runId!, "--json"], { cwd: dir.path })).stdout));
      expect(run.group).toEqual({ id: g.id, trial: t.index });
      expect(run.seed.value).toBe(t.seed);
      expect(run.params).toEqual(t.params);
    }
    const best = g.trials.reduce((b, t) => ((t.metric as number) > (b.metric as number) ? t : b));
    expect(g.best).toEqual({ index: best.index, runId: best.runId, metric: best.metric });
    expect(String(a.stderr)).toMatch(/^\[\d\] args=0$/m); // output prefixed by trial

    const b: GroupManifest = JSON.parse(String((await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: dir.path })).stdout));
    expect(b.trials.map((t: GroupTrial) => [t.params, t.seed])).toEqual(g.trials.map((t: GroupTrial) => [t.params, t.seed]));
    const shown = await runMlx(["show", g.id], { cwd: dir.path });
    expect(String(shown.stdout)).toContain(`best: trial ${best.index}`);
    const ls: { groups: unknown[]; runs: unknown[] } = JSON.parse(String((await runMlx(["ls", "--json"], { cwd: dir.path })).stdout));
    expect(ls.groups).toHaveLength(2);
    expect(ls.runs).toHaveLength(12);
  });

  it("records a failing trial and goes on; exits 1 only when every trial fails; --fail-fast stops starting trials", async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "s.yaml"), spec("params:\n  mode: fail\n"));
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: dir.path });
    const g: GroupManifest = JSON.parse(String(r.stdout));
    const failed = g.trials.filter((t: GroupTrial) => t.status === "failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((t: GroupTrial) => (t.params["x"] as number) > 0 && t.exitCode === 3 && t.metric === null)).toBe(true);
    expect(r.exitCode).toBe(g.trials.some((t: GroupTrial) => t.status === "succeeded") ? 0 : 1);
    expect(g.best === null || g.trials[g.best.index]!.status === "succeeded").toBe(true);

    writeFileSync(join(dir.path, "all.yaml"), spec("params:\n  mode: fail\n", { param_space: "\n  x: uniform(0.5, 1)" }));
    const all = await runMlx(["capture", "--config", "all.yaml"], { cwd: dir.path });
    expect(all.exitCode).toBe(1);
    expect(String(all.stderr)).toContain("best: none");

    const fast: GroupManifest = JSON.parse(
      String((await runMlx(["capture", "--config", "all.yaml", "--fail-fast", "--concurrency", "1", "--json"], { cwd: dir.path })).stdout),
    );
    expect(fast.trials.filter((t: GroupTrial) => t.status !== "pending")).toHaveLength(1);
  });

  it("fills {{name}} templates and passes --name=value flags when params_as: flags", async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "s.yaml"), spec("params_as: flags\n", { num_trials: "2", run: `[node, ${TRIAL}, "--x={{x}}"]` }));
    const g: GroupManifest = JSON.parse(String((await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: dir.path })).stdout));
    for (const t of g.trials) expect(t.metric).toBeCloseTo(-(((t.params["x"] as number) - 0.3) ** 2), 12);
    const first = g.trials[0]!;
    const run: RunManifest = JSON.parse(String((await runMlx(["show", first.runId!, "--json"], { cwd: dir.path })).stdout));
    expect(run.command.argv).toEqual([
      "node",
      TRIAL,
      `--x=${String(first.params["x"])}`,
      `--x=${String(first.params["x"])}`,
      `--h=${String(first.params["h"])}`,
    ]);
  });

  it("stops every running trial on Ctrl-C, keeps every record, and exits 130", async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "s.yaml"), spec("params:\n  mode: slow\n"));
    const child = spawn(MLX_BIN, ["capture", "--config", "s.yaml"], { cwd: dir.path, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    while (!/\[1\] trial 2\/6/.test(err)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    const g = await group(dir.path);
    expect(g.status).toBe("interrupted");
    expect(g.trials.filter((t: GroupTrial) => t.status === "interrupted")).toHaveLength(2);
    expect(g.trials.filter((t: GroupTrial) => t.status === "pending")).toHaveLength(4);
    for (const t of g.trials.filter((x: GroupTrial) => x.runId))
      expect(existsSync(join(dir.path, ".mlx", "runs", t.runId!, "manifest.yaml"))).toBe(true);
  });

  it.each([
    ["num_trail: 5\n", /unknown key 'num_trail'\n.*Did you mean 'num_trials'\?/],
    [
      "",
      /metric\.direction 'maximise' is not maximize or minimize\n.*Did you mean 'maximize'\?/,
      { metric: "\n  name: score\n  direction: maximise" },
    ],
    ["", /param_space\.x: expected a number literal at column 12/, { param_space: "\n  x: uniform(0, process.exit(9))" }],
    [
      "",
      /the grid has 1\.00e\+16 points/,
      {
        sampler: "grid",
        param_space: Array.from({ length: 8 }, (_, i) => `\n  p${i}: choice([${Array.from({ length: 100 }, (_, j) => j).join(",")}])`).join(
          "",
        ),
      },
    ],
    ["", /num_trials must be >= 1/, { num_trials: "0" }],
    ["", /the command names \{\{nope\}\}, which is not a parameter/, { run: `[node, ${TRIAL}, "{{nope}}"]` }],
  ])("refuses a bad spec (%j ...) with exit 2 before any trial", async (extra, message, over: Record<string, string> = {}) => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "s.yaml"), spec(extra, over));
    const r = await runMlx(["capture", "--config", "s.yaml"], { cwd: dir.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
    expect(existsSync(join(dir.path, ".mlx", "runs"))).toBe(false);
  });
});
