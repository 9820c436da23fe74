import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { MLX_BIN } from "../helpers/mlx.js";
import { type ReviewerBundle, reviewerBundle } from "../helpers/reviewer-bundle.js";

const ready = dockerReady();

/** What a replay left behind: its folder's entries, its containers, whether the bundle's image is in the engine. */
function leftovers(out: string, runId: string, imageId: string): { out: string[]; containers: string; image: boolean } {
  let image = true;
  try {
    docker("image", "inspect", imageId);
  } catch {
    image = false;
  }
  return {
    out: existsSync(out) ? readdirSync(out) : [],
    containers: docker("ps", "-aq", "--filter", `label=org.mlx.replay-of=${runId}`),
    image,
  };
}

describe.skipIf(!ready)("mlx replay interrupted by Ctrl-C (real Docker engine, a bundle of ~300 MB)", () => {
  let reviewer: ReviewerBundle;
  let elsewhere: { path: string };
  let bundle: string;
  let imageId: string;
  let runId: string;

  beforeAll(async () => {
    reviewer = await reviewerBundle(2);
    ({ bundle, imageId, runId } = reviewer);
    elsewhere = { path: reviewer.folder };
  }, 300_000);
  afterAll(async () => {
    await reviewer?.[Symbol.asyncDispose]();
  });

  /** Starts a replay, sends `signals` (the first as soon as stderr shows `phase`), and waits for it to end. */
  async function interruptAt(phase: RegExp, out: string, signals: NodeJS.Signals[]) {
    const child = execa(MLX_BIN, ["replay", bundle, "--out", out], { reject: false, stdin: "ignore" });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (phase.test(stderr)) resolve();
      });
      child.once("exit", () => reject(new Error(`mlx ended before ${phase}:\n${stderr}`)));
    });
    const sentAt = Date.now();
    for (const [i, signal] of signals.entries()) setTimeout(() => child.kill(signal), i * 300);
    const result = await child;
    return { exitCode: result.exitCode, stderr: stderr + String(result.stderr), elapsedMs: Date.now() - sentAt };
  }

  it("stops during verify at the first Ctrl-C: exit 130 within seconds, nothing loaded or run, the folder removed", async () => {
    const out = join(elsewhere.path, "verify-out");
    const r = await interruptAt(/^verifying /m, out, ["SIGINT"]);
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.elapsedMs).toBeLessThan(10_000);
    // image.tar may have begun streaming into the engine (it loads during verify): nothing of it may remain.
    expect(r.stderr).not.toMatch(/^running /m);
    expect(leftovers(out, runId, imageId)).toEqual({ out: [], containers: "", image: false });
  }, 120_000);

  it("stops during load even when Ctrl-C comes twice: exit 130, no container, no image, no extracted bundle", async () => {
    const out = join(elsewhere.path, "load-out");
    const r = await interruptAt(/^loading /m, out, ["SIGINT", "SIGINT"]);
    expect(r.exitCode, r.stderr).toBe(130);
    expect(r.elapsedMs).toBeLessThan(10_000);
    expect(r.stderr).not.toMatch(/^running /m);
    expect(leftovers(out, runId, imageId)).toEqual({ out: [], containers: "", image: false });
  }, 120_000);

  it("exits 143 on SIGTERM during load, with the same clean-up", async () => {
    const out = join(elsewhere.path, "term-out");
    const r = await interruptAt(/^loading /m, out, ["SIGTERM"]);
    expect(r.exitCode, r.stderr).toBe(143);
    expect(r.stderr).not.toMatch(/^running /m);
    expect(leftovers(out, runId, imageId)).toEqual({ out: [], containers: "", image: false });
  }, 120_000);
});
