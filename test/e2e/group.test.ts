import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx } from "../helpers/mlx.js";

const ready = dockerReady();
const TRIAL = new URL("../fixtures/bin/trial.mjs", import.meta.url).pathname;

describe.skipIf(!ready)("search groups with a real Docker engine", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  let groupId: string;
  let best: number;

  beforeAll(async () => {
    // The trial script is committed into the repository, so that it is part of the packed code.
    repo = await makeExampleRepo({ "trial.mjs": (await import("node:fs")).readFileSync(TRIAL, "utf8") });
    writeFileSync(
      join(repo.path, "s.yaml"),
      [
        "name: e2e",
        "kind: group",
        "num_trials: 4",
        "sampler: tpe",
        "seed: 3",
        "concurrency: 2",
        "param_space:",
        "  x: uniform(-1, 1)",
        "metric:",
        "  name: score",
        "  direction: maximize",
        "run: node trial.mjs",
        "",
      ].join("\n"),
    );
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const g = JSON.parse(String(r.stdout));
    groupId = g.id;
    best = g.best.index;
    const packed = await runMlx(["pack", groupId], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
  }, 300_000);
  afterAll(async () => repo && (await repo[Symbol.asyncDispose]()));

  it("packs one image and every trial's record, and the group's", () => {
    const names = execFileSync("tar", ["-tf", join(repo.path, "bundle.tar")], { encoding: "utf8" }).split("\n");
    expect(names.filter((n) => /^records\/runs\/[^/]+\/manifest\.yaml$/.test(n))).toHaveLength(4);
    expect(names).toContain(`records/groups/${groupId}/group.yaml`);
    expect(names.filter((n) => n === "image.tar")).toHaveLength(1);
  });

  it("replays the best trial by default", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--json", "--out", "best"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const report = JSON.parse(String(r.stdout));
    expect(report.group.trials.map((t: { index: number }) => t.index)).toEqual([best]);
    expect(report.verdict).toBe("reproduced");
    expect(report.metrics.map((m: { name: string; verdict: string }) => [m.name, m.verdict])).toEqual([
      ["args", "same"],
      ["score", "same"],
    ]);
  }, 300_000);

  it("replays every trial with --all: the best is still the best, rank correlation 1", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--all", "--concurrency", "2", "--json", "--out", "all"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const report = JSON.parse(String(r.stdout));
    expect(report.group.trials).toHaveLength(4);
    expect(report.group.trials.every((t: { verdict: string }) => t.verdict === "reproduced")).toBe(true);
    expect(report.group.best).toEqual({ original: best, replay: best, stillBest: true });
    expect(report.group.spearman).toBeCloseTo(1, 10);
  }, 300_000);

  it("refuses --trial for a trial the group does not have, and --trial with --all", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--trial", "9", "--out", "t9"], { cwd: repo.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/has no recorded trial 9/);
    const both = await runMlx(["replay", "bundle.tar", "--trial", "1", "--all"], { cwd: repo.path });
    expect(both.exitCode).toBe(2);
  }, 120_000);
});
