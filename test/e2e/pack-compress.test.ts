import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";

const ready = dockerReady();

/** image.tar of `bundle`, extracted into `folder`; its path. */
function extractImage(bundle: string, folder: string): string {
  execFileSync("tar", ["-xf", bundle, "-C", folder, "image.tar"]);
  return join(folder, "image.tar");
}

/** The first two bytes of every `<id>/layer.tar` regular file in a docker-save archive, as hex. */
function layerMagics(imageTar: string): string[] {
  const names = execFileSync("tar", ["-tvf", imageTar], { encoding: "utf8" })
    .trim()
    .split("\n")
    .filter((l) => l.startsWith("-") && /\/layer\.tar$/.test(l))
    .map((l) => l.split(/\s+/).at(-1)!);
  return names.map((n) =>
    execFileSync("sh", ["-c", 'tar -xOf "$0" "$1" | head -c 2 | od -An -tx1 | tr -d " \\n"', imageTar, n]).toString(),
  );
}

describe.skipIf(!ready)("mlx pack --compress (real Docker engine)", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  let reviewer: { path: string } & AsyncDisposable;
  let imageId: string;
  let savedBytes: number;

  beforeAll(async () => {
    repo = await makeExampleRepo();
    reviewer = await tempDir("mlx-compress-reviewer-");
    const cap = await runMlx(["capture", "--config", "run.yaml", "--param", "epochs=3"], { cwd: repo.path });
    expect(cap.exitCode, String(cap.stderr)).toBe(0);
    const packed = await runMlx(["pack", "--json", "-o", join(reviewer.path, "bundle.tar")], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
    imageId = (JSON.parse(String(packed.stdout)) as { imageId: string }).imageId;
    const plain = await runMlx(["pack", "--compress", "none", "-o", "plain.tar"], { cwd: repo.path });
    expect(plain.exitCode, String(plain.stderr)).toBe(0);
    savedBytes = Number(execFileSync("sh", ["-c", 'docker save "$0" | wc -c', imageId], { encoding: "utf8" }).trim());
    docker("rmi", "-f", imageId); // the reviewer's engine lacks it: it must come from the bundle
  }, 400_000);
  afterAll(async () => {
    await repo?.[Symbol.asyncDispose]();
    await reviewer?.[Symbol.asyncDispose]();
  });

  it("packs by default an image.tar of at most half docker save's size, every layer gzip-compressed", async () => {
    await using out = await tempDir();
    const image = extractImage(join(reviewer.path, "bundle.tar"), out.path);
    expect(statSync(image).size).toBeLessThanOrEqual(0.5 * savedBytes);
    const magics = layerMagics(image);
    expect(magics.length).toBeGreaterThan(0);
    expect(magics.every((m) => m === "1f8b")).toBe(true);
  });

  it("packs with --compress none the layers as docker save wrote them", async () => {
    await using out = await tempDir();
    const image = extractImage(join(repo.path, "plain.tar"), out.path);
    expect(statSync(image).size).toBeGreaterThan(0.99 * savedBytes);
    expect(layerMagics(image).some((m) => m === "1f8b")).toBe(false);
  });

  it("replays the compressed bundle with the image absent: reproduced, and the loaded image removed again", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--json", "--out", "review"], { cwd: reviewer.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).verdict).toBe("reproduced");
    expect(() => docker("image", "inspect", imageId)).toThrow();
  }, 300_000);

  it("gives an image.tar that a plain docker load accepts, as the image the bundle names", async () => {
    await using out = await tempDir();
    const image = extractImage(join(reviewer.path, "bundle.tar"), out.path);
    try {
      docker("load", "-q", "-i", image);
      expect(docker("image", "inspect", imageId, "--format", "{{.Id}}")).toBe(imageId);
    } finally {
      execFileSync("docker", ["rmi", "-f", imageId], { stdio: "ignore" });
    }
  }, 300_000);

  it("leaves no saved archive, piece or bundle behind when interrupted while saving or compressing (exit 130)", async () => {
    await using out = await tempDir();
    const child = spawn(MLX_BIN, ["pack", "-o", join(out.path, "interrupted.tar")], {
      cwd: repo.path,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // The temp folder beside the bundle holds the saved archive, then the compressed pieces.
    let ended = false;
    void exited.then(() => (ended = true));
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (readdirSync(out.path).some((f) => f.startsWith(".mlx-compress-"))) return resolve();
        if (ended) return reject(new Error(`pack ended before compressing:\n${stderr}`));
        setTimeout(check, 10);
      };
      check();
    });
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("pack interrupted (SIGINT); temp files removed");
    expect(readdirSync(out.path)).toEqual([]);
  }, 300_000);

  it("refuses an unknown --compress with exit 2 before doing anything, writing no bundle", async () => {
    const r = await runMlx(["pack", "--compress", "zstd", "-o", "other.tar"], { cwd: repo.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/--compress must be gzip or none, got 'zstd'/);
    expect(existsSync(join(repo.path, "other.tar"))).toBe(false);
  });
});
