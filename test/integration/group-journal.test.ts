import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";
import type { GroupManifest, RunManifest } from "../../src/record/types.js";

// Trials with x < 4 print their score at once; the others hang until killed.
const TRIAL = `
const x = JSON.parse(process.env.MLX_PARAMS).x;
if (x >= 4) await new Promise((r) => setTimeout(r, 120_000));
console.log("score=" + -((x - 0.3) ** 2));
`;

const SPEC = (trials: number[]): string =>
  [
    "name: j",
    "kind: group",
    "sampler: grid",
    "concurrency: 2",
    `param_space:\n  x: [${trials.join(", ")}]`,
    "metric:\n  name: score",
    "run: node trial.mjs",
    "",
  ].join("\n");

const groupFolder = (cwd: string): string => {
  const [id] = readdirSync(join(cwd, ".mlx", "groups"));
  return join(cwd, ".mlx", "groups", id!);
};

async function show(cwd: string, id: string): Promise<GroupManifest> {
  const r = await runMlx(["show", id, "--json"], { cwd });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  return JSON.parse(String(r.stdout)) as GroupManifest;
}

describe("a search's journal", () => {
  it("holds the trials while the search runs; a search killed with SIGKILL still lists and shows, as interrupted", async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "trial.mjs"), TRIAL);
    writeFileSync(join(dir.path, "s.yaml"), SPEC([0, 1, 2, 3, 4, 5, 6, 7]));
    const child = spawn(MLX_BIN, ["capture", "--config", "s.yaml"], { cwd: dir.path, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_, signal) => r(signal)));
    const hanging: number[] = [];
    try {
      while (!/\[5\] trial 6\/8/.test(err)) await new Promise((r) => setTimeout(r, 50));
      const folder = groupFolder(dir.path);
      const id = folder.split("/").at(-1)!;
      let live = await show(dir.path, id);
      while (live.trials.filter((t) => t.status === "running" && t.runId).length < 2) live = await show(dir.path, id);
      expect(live.status).toBe("running");
      expect(live.trials.map((t) => t.status)).toEqual([...Array(4).fill("succeeded"), "running", "running", "pending", "pending"]);
      // Written once at the start: the trials since then are in the journal, not in a rewritten group.yaml.
      const onDisk = parse(readFileSync(join(folder, "group.yaml"), "utf8")) as GroupManifest;
      expect(onDisk.trials.every((t) => t.status === "pending")).toBe(true);
      expect(onDisk.pid).toBe(child.pid);
      expect(readFileSync(join(folder, "trials.jsonl"), "utf8").trim().split("\n").length).toBeGreaterThanOrEqual(6);
      for (const t of live.trials.slice(4, 6)) {
        const run = parse(readFileSync(join(dir.path, ".mlx", "runs", t.runId!, "manifest.yaml"), "utf8")) as RunManifest;
        hanging.push(run.command.pid!);
      }

      child.kill("SIGKILL");
      expect(await exited).toBe("SIGKILL");
      const dead = await show(dir.path, id);
      expect(dead.status).toBe("interrupted");
      expect(dead.trials.map((t) => t.status)).toEqual([...Array(4).fill("succeeded"), "interrupted", "interrupted", "pending", "pending"]);
      expect(dead.best).toMatchObject({ index: 0, metric: -(0.3 ** 2) });
      expect(dead.warnings.join("\n")).toMatch(/ended without finishing its record: it was killed/);
      const ls = await runMlx(["ls", "--json"], { cwd: dir.path });
      const listed = (JSON.parse(String(ls.stdout)) as { groups: Array<{ id: string; status: string; trials: string }> }).groups;
      expect(listed).toEqual([expect.objectContaining({ id, status: "interrupted", trials: "6/8" })]);
    } finally {
      child.kill("SIGKILL");
      for (const pid of hanging) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
  }, 90_000);

  it("is folded into group.yaml and removed when the search ends", async () => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "trial.mjs"), TRIAL);
    writeFileSync(join(dir.path, "s.yaml"), SPEC([0, 1, 2]));
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: dir.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const folder = groupFolder(dir.path);
    expect(existsSync(join(folder, "trials.jsonl"))).toBe(false);
    const written = parse(readFileSync(join(folder, "group.yaml"), "utf8")) as GroupManifest;
    expect(written.status).toBe("succeeded");
    expect(written.trials.map((t) => t.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    expect(written.best).toMatchObject({ index: 0 });
    expect(await show(dir.path, written.id)).toEqual(written);
  }, 60_000);
});
