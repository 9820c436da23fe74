// Replay's orchestration without an engine: a real capture and a real bundle (packed through the
// in-memory DockerClient), replayed against scripted containers.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { renderContainerConfig } from "../../src/docker/container-config.js";
import { packRun } from "../../src/pack/pack-run.js";
import type { RunManifest } from "../../src/record/types.js";
import { replayBundle, type ReplayDeps, type ReplayOptions } from "../../src/replay/replay-bundle.js";
import { replayOptions } from "../helpers/replay-options.js";
import { makeRepo } from "../helpers/git-repo.js";
import { MemoryDocker, type RunBehaviour } from "../helpers/memory-docker.js";
import { runMlx, tempDir } from "../helpers/mlx.js";
import { readHostProcess } from "../../src/cli/host-process.js";

const PRELOAD = new URL("../../dist/sdk/preload.cjs", import.meta.url).pathname;
const BASE_IMAGE = "node:memory";

/** A writable that keeps what it is given, as text. */
function collector(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _e, done) => (chunks.push(chunk), done()) });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString("utf8") });
}

function optionsFor(bundle: string, out: string): ReplayOptions {
  return replayOptions(bundle, out);
}

function depsFor(docker: MemoryDocker, interrupted: Promise<NodeJS.Signals> = new Promise(() => undefined)) {
  const stdout = collector();
  const steps: string[] = [];
  const deps: ReplayDeps = {
    docker,
    host: readHostProcess(),
    echoStdout: stdout,
    echoStderr: collector(),
    step: (l) => steps.push(l),
    interrupted,
    mlxVersion: "test",
  };
  return { deps, stdout, steps };
}

/** A container that prints `text` on its stdout and exits 0. */
const printing =
  (text: string): RunBehaviour =>
  (_spec, io) =>
    new Promise((resolve) => io.stdout.write(text, () => resolve({ exitCode: 0 })));

describe("replay against an in-memory engine", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  let bundle = "";
  let run: RunManifest;
  let imageId = "";

  beforeAll(async () => {
    repo = await makeRepo({ "train.js": "console.log('acc=0.9')\n", ".gitignore": ".mlx/\n*.tar\n" });
    const captured = await runMlx(["capture", "--seed", "1234", "--json", "--", "node", "train.js"], { cwd: repo.path });
    expect(captured.exitCode, String(captured.stderr)).toBe(0);
    const summary = JSON.parse(String(captured.stdout)) as { record: string };
    run = parse(readFileSync(join(summary.record, "manifest.yaml"), "utf8")) as RunManifest;
    expect(run.metrics?.final).toEqual({ acc: 0.9 });
    const packer = new MemoryDocker();
    packer.addImage(BASE_IMAGE);
    bundle = join(repo.path, "bundle.tar");
    const packed = await packRun(
      {
        cwd: repo.path,
        runRef: "latest",
        output: bundle,
        baseImage: BASE_IMAGE,
        noImage: false,
        includes: [],
        allowFailed: false,
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
    imageId = packed.imageId;
    return () => repo[Symbol.asyncDispose]();
  });

  it("loads the image by id, runs it hardened with the recorded seed, says reproduced, and removes the image", async () => {
    const docker = new MemoryDocker(printing("acc=0.9\n"));
    const { deps, stdout } = depsFor(docker);
    const out = join(repo.path, "same");
    const report = await replayBundle(optionsFor(bundle, out), deps);

    expect(report).toMatchObject({ verdict: "reproduced", run: run.id, bundle: { imageId } });
    expect(report.metrics).toMatchObject([{ name: "acc", original: 0.9, replay: 0.9, verdict: "same" }]);
    expect(docker.calls).toEqual(["ping", "load", "run", "removeImage"]);
    expect(docker.images.size).toBe(0);
    const spec = docker.runs[0]!;
    expect(spec).toMatchObject({ imageId, argv: ["node", "train.js"], workdir: "/app", network: false, keep: false });
    expect(spec.env).toMatchObject({ MLX_SEED: "1234", PYTHONHASHSEED: "1234", MLX_RUN_ID: run.id, HOME: "/tmp" });
    expect(renderContainerConfig(spec)).toMatchObject({
      User: "65534:65534",
      NetworkDisabled: true,
      HostConfig: { CapDrop: ["ALL"], ReadonlyRootfs: true, Privileged: false, NetworkMode: "none", SecurityOpt: ["no-new-privileges"] },
    });
    expect(stdout.text()).toBe("│ acc=0.9\n"); // echoed lines are marked as the container's; the log keeps the raw bytes
    expect(readFileSync(join(out, "logs", "stdout.log"), "utf8")).toBe("acc=0.9\n");
    expect(parse(readFileSync(join(out, "replay.yaml"), "utf8"))).toMatchObject({ kind: "Replay", verdict: "reproduced" });
    expect(readdirSync(out).filter((name) => name.startsWith("bundle-"))).toEqual([]); // the extracted bundle is gone
  });

  it("says diverged, naming the metric, when the container reports another value", async () => {
    const docker = new MemoryDocker(printing("acc=0.5\n"));
    const report = await replayBundle(optionsFor(bundle, join(repo.path, "other")), depsFor(docker).deps);
    expect(report.verdict).toBe("diverged");
    expect(report.metrics).toMatchObject([{ name: "acc", original: 0.9, replay: 0.5, verdict: "diverged" }]);
    expect(docker.images.size).toBe(0);
  });

  it("stops the container on Ctrl-C and reports the replay as interrupted, removing the image still", async () => {
    const docker = new MemoryDocker(() => new Promise(() => undefined)); // a run that never ends by itself
    let interrupt: (signal: NodeJS.Signals) => void = () => undefined;
    const interrupted = new Promise<NodeJS.Signals>((resolve) => (interrupt = resolve));
    const replaying = replayBundle(optionsFor(bundle, join(repo.path, "stopped")), depsFor(docker, interrupted).deps);
    await expect.poll(() => docker.runs.length).toBe(1);
    interrupt("SIGINT");
    const report = await replaying;
    expect(report).toMatchObject({ verdict: "diverged", container: { interruptedBy: "SIGINT" } });
    expect(docker.calls.at(-1)).toBe("removeImage");
    expect(docker.images.size).toBe(0);
  });

  it("stops a run at --timeout and says so among the reasons of the diverged verdict", async () => {
    const docker = new MemoryDocker(() => new Promise(() => undefined)); // a run that never ends by itself
    const report = await replayBundle({ ...optionsFor(bundle, join(repo.path, "slow")), timeoutMs: 200 }, depsFor(docker).deps);
    expect(report).toMatchObject({ verdict: "diverged", container: { timedOut: true } });
    expect((report.reasons ?? []).join("\n")).toMatch(/time/i);
    expect(docker.images.size).toBe(0);
  });

  it("exits 3 when the engine is unreachable, before anything is written", async () => {
    const docker = new MemoryDocker();
    docker.reachable = false;
    const out = join(repo.path, "unreachable");
    await expect(replayBundle(optionsFor(bundle, out), depsFor(docker).deps)).rejects.toMatchObject({ exitCode: 3 });
    expect(docker.calls).toEqual(["ping"]);
    expect(existsSync(out)).toBe(false);
  });

  it("leaves an image the engine already had, and refuses --trial on a single-run bundle with exit 2", async () => {
    const docker = new MemoryDocker(printing("acc=0.9\n"));
    await using scratch = await tempDir();
    const { deps } = depsFor(docker);
    await replayBundle({ ...optionsFor(bundle, join(scratch.path, "a")), keep: true }, deps);
    expect(docker.images.has(imageId)).toBe(true);
    const again = await replayBundle(optionsFor(bundle, join(scratch.path, "b")), deps);
    expect(again.verdict).toBe("reproduced");
    expect(docker.calls.filter((c) => c === "load")).toHaveLength(1);
    expect(docker.images.has(imageId)).toBe(true);
    await expect(replayBundle({ ...optionsFor(bundle, join(scratch.path, "c")), trials: 0 }, deps)).rejects.toMatchObject({ exitCode: 2 });
    expect(existsSync(join(scratch.path, "c"))).toBe(false);
  });
});
