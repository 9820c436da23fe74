import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXAMPLE, makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx } from "../helpers/mlx.js";

describe("the iris example, captured end to end", () => {
  it("records params, seed, lockfile, installed packages, outputs and per-epoch metrics; the same seed repeats bit for bit", async () => {
    await using repo = await makeExampleRepo();

    const shows = [];
    for (let i = 0; i < 2; i++) {
      const r = await runMlx(["capture", "--config", "run.yaml", "--param", "epochs=15"], { cwd: repo.path });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      shows.push(JSON.parse(String((await runMlx(["show", "latest", "--json"], { cwd: repo.path })).stdout)));
    }
    const [a, b] = shows;
    expect(a.status).toBe("succeeded");
    expect(a.params).toEqual({ epochs: 15, lr: 0.05, hidden: 16 });
    expect(a.seed).toEqual({
      value: 42,
      source: "given",
      preload: true,
      preloads: [
        { runtime: "node", applied: true },
        { runtime: "python", applied: false },
      ],
    });
    expect(a.git).toMatchObject({ available: true, dirty: false, patch: null });
    expect(a.dependencies.lockfiles.map((l: { path: string }) => l.path)).toEqual(["package-lock.json"]);
    expect(a.dependencies.nodeModules).toMatchObject({ available: true, source: "node_modules/.package-lock.json" });
    expect(a.outputs.map((o: { path: string }) => o.path)).toEqual(["model/weights.json"]);
    expect(Object.keys(a.metrics.final).sort()).toEqual(["accuracy", "loss", "test_loss", "train_accuracy"]);
    expect(a.metrics.final.accuracy).toBeGreaterThan(0.6);

    const series = readFileSync(join(repo.path, ".mlx", "runs", a.id, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(series.filter((p) => p.name === "loss").map((p) => p.step)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));

    // Same seed, same code, same data: identical results, down to the weights file.
    expect(b.metrics.final).toEqual(a.metrics.final);
    expect(b.outputs[0].sha256).toBe(a.outputs[0].sha256);
  });

  it("runs the example's 6-trial TPE search: every trial a run, ranked by accuracy, repeatable from the seed", async () => {
    await using repo = await makeExampleRepo();
    copyFileSync(join(EXAMPLE, "search.yaml"), join(repo.path, "search.yaml"));
    const first = await runMlx(["capture", "--config", "search.yaml", "--json"], { cwd: repo.path });
    expect(first.exitCode, String(first.stderr)).toBe(0);
    const g = JSON.parse(String(first.stdout));
    expect(g.trials).toHaveLength(6);
    expect(g.trials.every((t: { status: string; metric: unknown }) => t.status === "succeeded" && typeof t.metric === "number")).toBe(true);
    const top = Math.max(...g.trials.map((t: { metric: number }) => t.metric));
    expect(g.best.metric).toBe(top);
    expect(g.best.index).toBe(g.trials.findIndex((t: { metric: number }) => t.metric === top)); // ties: the lower index
    const again = JSON.parse(String((await runMlx(["capture", "--config", "search.yaml", "--json"], { cwd: repo.path })).stdout));
    expect(again.trials.map((t: { params: unknown; metric: unknown }) => [t.params, t.metric])).toEqual(
      g.trials.map((t: { params: unknown; metric: unknown }) => [t.params, t.metric]),
    );
  }, 120_000);
});
