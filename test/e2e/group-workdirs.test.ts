import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx } from "../helpers/mlx.js";

const ready = dockerReady();

// Every trial writes the same file name, with its own content, while the other trial runs.
const TRIAL = [
  'import { mkdirSync, writeFileSync } from "node:fs";',
  "const { x } = JSON.parse(process.env.MLX_PARAMS);",
  "await new Promise((r) => setTimeout(r, 300));",
  'mkdirSync("model", { recursive: true });',
  'writeFileSync("model/model.json", JSON.stringify({ x }) + "\\n");',
  "console.log(`score=${-((x - 0.3) ** 2)}`);",
  "",
].join("\n");

describe.skipIf(!ready)("a folder per trial, with a real Docker engine", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  let group: { id: string; trials: Array<{ index: number; runId: string; params: { x: number } }> };

  beforeAll(async () => {
    repo = await makeExampleRepo({ "trial.mjs": TRIAL });
    writeFileSync(
      join(repo.path, "s.yaml"),
      ["name: own", "kind: group", "num_trials: 3", "sampler: grid", "concurrency: 2", "param_space:", "  x: [0.1, 0.2, 0.3]"]
        .concat(["metric:", "  name: score", "run: node trial.mjs", "outputs:", "  - model/model.json", ""])
        .join("\n"),
    );
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    group = JSON.parse(String(r.stdout));
    const packed = await runMlx(["pack", group.id, "-o", "bundle.tar"], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
  }, 300_000);
  afterAll(async () => repo && (await repo[Symbol.asyncDispose]()));

  it("records each trial's own output hash, although concurrent trials write the same file name", async () => {
    for (const t of group.trials) {
      const run = JSON.parse(String((await runMlx(["show", t.runId, "--json"], { cwd: repo.path })).stdout));
      const own = createHash("sha256")
        .update(JSON.stringify({ x: t.params.x }) + "\n")
        .digest("hex");
      expect(run.outputs).toEqual([expect.objectContaining({ path: "model/model.json", sha256: own })]);
    }
  }, 60_000);

  it("replays every trial with its own outputs: replay --all reproduces all", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--all", "--concurrency", "2", "--json", "--out", "all"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const report = JSON.parse(String(r.stdout));
    expect(report.group.trials.map((t: { verdict: string }) => t.verdict)).toEqual(["reproduced", "reproduced", "reproduced"]);
  }, 300_000);
});
