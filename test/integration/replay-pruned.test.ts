// Replay of a trial the search pruned, without an engine: a real capture marked pruned as the search
// marks it, packed through the in-memory DockerClient, replayed against scripted containers that never
// end by themselves: replay must stop them at the pruned step and judge them up to it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import type { ContainerIo, ContainerSpec } from "../../src/docker/docker-client.js";
import { markPruned } from "../../src/group/mark-pruned.js";
import { packRun } from "../../src/pack/pack-run.js";
import type { RunManifest } from "../../src/record/types.js";
import { replayBundle, type ReplayDeps, type ReplayOptions } from "../../src/replay/replay-bundle.js";
import { replayOptions } from "../helpers/replay-options.js";
import { prunedNote } from "../../src/replay/verdict-reasons.js";
import { readHostProcess } from "../../src/cli/host-process.js";
import { makeRepo } from "../helpers/git-repo.js";
import { MemoryDocker, type RunBehaviour } from "../helpers/memory-docker.js";
import { runMlx } from "../helpers/mlx.js";

const PRELOAD = new URL("../../dist/sdk/preload.cjs", import.meta.url).pathname;
const BASE_IMAGE = "node:memory";
const PRUNED_STEP = 2;
const LOSSES = [1, 0.8, 0.7, 0.65, 0.6, 0.55];

// Six steps, then a final value without a step: the original goes past the step it is pruned at, as a
// real pruned trial does in the 200 ms before the search stops it.
const TRAIN = `${LOSSES.map((l, i) => `console.log("step=${i} loss=${l}");`).join("\n")}\nconsole.log("acc=0.9");\n`;

const sink = (): Writable => new Writable({ write: (_chunk, _e, done) => done() });

function optionsFor(bundle: string, out: string): ReplayOptions {
  return replayOptions(bundle, out, { timeoutMs: 20_000 });
}

function depsFor(docker: MemoryDocker): ReplayDeps {
  return {
    docker,
    host: readHostProcess(),
    echoStdout: sink(),
    echoStderr: sink(),
    step: () => undefined,
    interrupted: new Promise(() => undefined),
    mlxVersion: "test",
  };
}

/** The host side of the SDK metrics file the spec mounts into the container. */
function sdkFileOf(spec: ContainerSpec): string {
  const bind = spec.binds.find((b) => b.includes("sdk-metrics.jsonl:"));
  return bind!.slice(0, bind!.indexOf(":"));
}

/** A container that reports `losses` by step (on stdout or through the SDK file), then runs until stopped. */
const training =
  (losses: readonly number[], via: "stdout" | "sdk" = "stdout"): RunBehaviour =>
  (spec: ContainerSpec, io: ContainerIo) => {
    if (via === "sdk") {
      const lines = losses.map((value, step) => JSON.stringify({ name: "loss", value, step, time: Date.now() + step }) + "\n");
      writeFileSync(sdkFileOf(spec), lines.join(""));
    } else io.stdout.write(losses.map((l, i) => `step=${i} loss=${l}\n`).join(""));
    return new Promise(() => undefined);
  };

describe("replay of a pruned trial", () => {
  let bundle = "";
  let root = "";

  beforeAll(async () => {
    const repo = await makeRepo({ "train.js": TRAIN, ".gitignore": ".mlx/\n*.tar\n" });
    root = repo.path;
    const captured = await runMlx(["capture", "--seed", "7", "--json", "--", "node", "train.js"], { cwd: repo.path });
    expect(captured.exitCode, String(captured.stderr)).toBe(0);
    const { record } = JSON.parse(String(captured.stdout)) as { record: string };
    const run: RunManifest = await markPruned(record, "loss", { step: PRUNED_STEP, value: LOSSES[PRUNED_STEP]! });
    expect(run.pruned).toEqual({ metric: "loss", step: PRUNED_STEP, value: LOSSES[PRUNED_STEP] });
    const packer = new MemoryDocker();
    packer.addImage(BASE_IMAGE);
    bundle = join(repo.path, "bundle.tar");
    await packRun(
      {
        cwd: repo.path,
        runRef: "latest",
        output: bundle,
        baseImage: BASE_IMAGE,
        noImage: false,
        includes: [],
        allowFailed: true,
        force: false,
      },
      {
        docker: packer,
        progress: { step: () => undefined, update: () => undefined },
        mlxVersion: "test",
        preloadPath: PRELOAD,
        temps: new Set(),
      },
    );
    return () => repo[Symbol.asyncDispose]();
  });

  it("stops the container at the pruned step and says reproduced, the stop no failure", async () => {
    const docker = new MemoryDocker(training(LOSSES.slice(0, PRUNED_STEP + 2)));
    const out = join(root, "same");
    const report = await replayBundle(optionsFor(bundle, out), depsFor(docker));
    expect(report.reasons).toEqual([]);
    expect(report).toMatchObject({ verdict: "reproduced", container: { prunedAt: PRUNED_STEP } });
    expect(report.container.interruptedBy).toBeUndefined();
    expect(report.container.timedOut).toBeUndefined();
    expect(report.metrics).toEqual([expect.objectContaining({ name: "loss", original: 0.7, replay: 0.7, verdict: "same" })]);
    expect(report.warnings).toContain(prunedNote(PRUNED_STEP));
    expect(parse(readFileSync(join(out, "replay.yaml"), "utf8"))).toMatchObject({ container: { prunedAt: PRUNED_STEP } });
    // The original series, whole, beside the replay's: a report of this folder needs no bundle.
    const copied = readFileSync(join(out, "original-metrics.jsonl"), "utf8").trim().split("\n");
    expect(copied.map((l) => (JSON.parse(l) as { name: string }).name)).toEqual([...LOSSES.map(() => "loss"), "acc"]);
  });

  it("stops it when the steps come through the SDK's metrics file", async () => {
    const docker = new MemoryDocker(training(LOSSES.slice(0, PRUNED_STEP + 1), "sdk"));
    const report = await replayBundle(optionsFor(bundle, join(root, "sdk")), depsFor(docker));
    expect(report).toMatchObject({ verdict: "reproduced", container: { prunedAt: PRUNED_STEP } });
  });

  it("says diverged, naming the step, when a value before the pruned step differs", async () => {
    const losses = [1, 0.9, 0.7, 0.65];
    const report = await replayBundle(optionsFor(bundle, join(root, "moved")), depsFor(new MemoryDocker(training(losses))));
    expect(report.verdict).toBe("diverged");
    expect(report.reasons).toContain("series loss diverged at step 1");
    expect(report.reasons!.join("\n")).not.toMatch(/exit code|interrupted/);
    expect(report.container.prunedAt).toBe(PRUNED_STEP);
  });

  it("says diverged when the replay ends before the step the original was pruned at", async () => {
    const ending: RunBehaviour = (_spec, io) =>
      new Promise((resolve) => io.stdout.write("step=0 loss=1\n", () => resolve({ exitCode: 0 })));
    const report = await replayBundle(optionsFor(bundle, join(root, "short")), depsFor(new MemoryDocker(ending)));
    expect(report.verdict).toBe("diverged");
    expect(report.reasons).toContain(`ended before step ${PRUNED_STEP}, where the original was pruned`);
    expect(report.container.prunedAt).toBeUndefined();
  });
});
