// `mlx diff` against real records: two real captures in a real repository, and a real replay record
// (a real bundle replayed through the in-memory engine, as replay-memory.test.ts does).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { readHostProcess } from "../../src/cli/host-process.js";
import type { RunDiff } from "../../src/inspect/diff-runs.js";
import { replayOptions } from "../helpers/replay-options.js";
import { packRun } from "../../src/pack/pack-run.js";
import { replayBundle } from "../../src/replay/replay-bundle.js";
import { captureIn } from "../helpers/capture-in.js";
import { makeRepo } from "../helpers/git-repo.js";
import { MemoryDocker, type RunBehaviour } from "../helpers/memory-docker.js";
import { runMlx } from "../helpers/mlx.js";

const PRELOAD = new URL("../../dist/sdk/preload.cjs", import.meta.url).pathname;
const TRAIN = `const lr = Number(process.argv[2]);
for (let step = 0; step < 4; step++) console.log("step=" + step + " loss=" + (step < 2 ? 1 / (step + 1) : 1 / (step + 1 + lr)));
console.log("accuracy=" + (0.8 + lr));
`;
const LOCK = (b: string) =>
  JSON.stringify({
    lockfileVersion: 3,
    packages: { "": { name: "app" }, "node_modules/a": { version: "1.0.0" }, "node_modules/b": { version: b } },
  });

const sink = () => new Writable({ write: (_c, _e, done) => done() });
const printing =
  (text: string): RunBehaviour =>
  (_spec, io) =>
    new Promise((resolve) => io.stdout.write(text, () => resolve({ exitCode: 0 })));

describe("mlx diff", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  let first = "";
  let second = "";
  const diff = async (...args: string[]) => {
    const r = await runMlx(["diff", ...args], { cwd: repo.path });
    return { code: r.exitCode, stderr: String(r.stderr), stdout: String(r.stdout), json: () => JSON.parse(String(r.stdout)) as RunDiff };
  };

  beforeAll(async () => {
    repo = await makeRepo({ "train.mjs": TRAIN, "package-lock.json": LOCK("1.0.0"), ".gitignore": ".mlx/\n*.tar\nreplay-*/\n" });
    first = (await captureIn(repo.path, ["node", "train.mjs", "0.1"], { param: ["lr=0.1"], seed: "1" })).manifest.id;
    // The second run: another param, an edited script, one package upgraded.
    writeFileSync(join(repo.path, "train.mjs"), TRAIN + "// tuned\n");
    // A size that differs too: an edit of the same size within the second git last wrote its index can look clean to git.
    writeFileSync(join(repo.path, "package-lock.json"), LOCK("2.0.10"));
    second = (await captureIn(repo.path, ["node", "train.mjs", "0.3"], { param: ["lr=0.3"], seed: "2" })).manifest.id;
    return () => repo[Symbol.asyncDispose]();
  });

  it("shows what differs between two runs: params, seed, argv, patch, packages, metrics, where the series part; exit 1", async () => {
    const r = await diff(first, second, "--json");
    expect(r.code, r.stderr).toBe(1);
    const d = r.json();
    const changed = d.rows.filter((row) => !row.same && row.section !== "environment").map((row) => [row.what, row.a, row.b]);
    expect(changed).toEqual([
      ["argv", '["node","train.mjs","0.1"]', '["node","train.mjs","0.3"]'],
      ["lr", "0.1", "0.3"],
      ["seed", "1", "2"],
      ["dirty", "false", "true"],
      ["patch package-lock.json", "unchanged", "+1 -1"],
      ["patch train.mjs", "unchanged", "+1 -0"],
      ["npm b", "1.0.0", "2.0.10"],
    ]);
    expect(d.metrics.find((m) => m.name === "accuracy")).toMatchObject({ original: 0.9, replay: 1.1, verdict: "diverged" });
    expect(d.series).toEqual([{ name: "loss", step: 2, original: 1 / 3.1, replay: 1 / 3.3 }]);
    const text = await diff(first, second);
    expect(text.stdout).toMatch(/^\*\s+params\s+lr\s+0\.1\s+0\.3$/m);
    expect(text.stdout).toContain("series loss parts at step 2");
  });

  it("finds nothing between a run and itself, by id or by its record folder; exit 0", async () => {
    const r = await diff(first, join(".mlx", "runs", first));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("same: nothing differs beyond tolerance");
  });

  it("compares a run with its replay, named by folder or replay.yaml: exit 0 when reproduced, 1 naming the metric when not", async () => {
    const packer = new MemoryDocker();
    packer.addImage("node:memory");
    const bundle = join(repo.path, "bundle.tar");
    const packOptions = { cwd: repo.path, runRef: first, output: bundle, baseImage: "node:memory", noImage: false, includes: [] };
    const packDeps = { docker: packer, progress: { step: () => undefined, update: () => undefined }, mlxVersion: "test" };
    await packRun({ ...packOptions, allowFailed: false, force: true }, { ...packDeps, preloadPath: PRELOAD, temps: new Set() });
    const replay = async (out: string, printed: string) =>
      replayBundle(replayOptions(bundle, join(repo.path, out)), {
        docker: new MemoryDocker(printing(printed)),
        host: readHostProcess(),
        echoStdout: sink(),
        echoStderr: sink(),
        step: () => undefined,
        interrupted: new Promise(() => undefined),
        mlxVersion: "test",
      });
    const same = [0, 1, 2, 3].map((s) => `step=${s} loss=${s < 2 ? 1 / (s + 1) : 1 / (s + 1.1)}\n`).join("") + "accuracy=0.9\n";
    await replay("replay-same", same);
    const reproduced = await diff(first, "replay-same", "--json");
    expect(reproduced.code, reproduced.stderr).toBe(0);
    expect(reproduced.json().b).toContain("replay-same");
    expect(reproduced.json().rows.find((row) => row.what === "argv")).toMatchObject({ same: true }); // the replay's command is its run's

    await replay("replay-other", same.replace("step=3 loss=", "step=3 loss=9").replace("accuracy=0.9", "accuracy=0.5"));
    const diverged = await diff(join("replay-other", "replay.yaml"), first, "--json");
    expect(diverged.code, diverged.stderr).toBe(1);
    expect(diverged.json().metrics.find((m) => m.name === "accuracy")).toMatchObject({ original: 0.5, replay: 0.9, verdict: "diverged" });
    expect(diverged.json().series).toMatchObject([{ name: "loss", step: 3 }]);
  });

  it("refuses an unknown id and a bad tolerance with exit 2", async () => {
    const missing = await diff(first, "nope");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run 'nope'/);
    const bad = await diff(first, second, "--rtol", "-1");
    expect(bad.code).toBe(2);
  });
});
