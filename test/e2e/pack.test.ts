import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleSums, docker, dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { gitIn } from "../helpers/git-repo.js";
import { MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";

const ready = dockerReady();

describe.skipIf(!ready)("mlx pack (real Docker engine)", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  let bundle: string;
  let packOut: string;

  beforeAll(async () => {
    repo = await makeExampleRepo({ "data/extra.csv": "a,b\n1,2\n" });
    const cap = await runMlx(["capture", "--config", "run.yaml", "--param", "epochs=5", "--input", "data/extra.csv"], { cwd: repo.path });
    expect(cap.exitCode, String(cap.stderr)).toBe(0);
    bundle = join(repo.path, "bundle.tar");
    const packed = await runMlx(["pack"], { cwd: repo.path });
    packOut = String(packed.stdout);
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
  }, 300_000);
  afterAll(async () => repo && (await repo[Symbol.asyncDispose]()));

  it("prints the path, size, sha256 and the reviewer's command; the sha256 is the file's", () => {
    const sha = execFileSync("sha256sum", [bundle], { encoding: "utf8" }).slice(0, 64);
    expect(packOut).toContain(`sha256  ${sha}`);
    expect(packOut).toContain("mlx replay bundle.tar");
    expect(readdirSync(repo.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("holds the manifest, context, data, records and image, each matching SHA256SUMS", async () => {
    await using out = await tempDir();
    execFileSync("tar", ["-xf", bundle, "-C", out.path]);
    const sums = execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: out.path, encoding: "utf8" });
    expect(sums).not.toContain("FAILED");
    const names = bundleSums(bundle);
    const manifest = parse(readFileSync(join(out.path, "bundle.yaml"), "utf8"));
    expect(manifest).toMatchObject({
      kind: "Bundle",
      image: { file: "image.tar", baseImage: `node:${process.versions.node}-bookworm-slim`, dependencies: "image" },
    });
    expect(manifest.command).toEqual({ argv: ["node", "train.js"], workdir: "/app" });
    expect(manifest.data).toEqual([{ path: "data/extra.csv", sizeBytes: 8, sha256: names.get("data/data/extra.csv") }]);
    expect([...names.keys()]).toEqual(
      expect.arrayContaining(["bundle.yaml", "context/Dockerfile", "context/app/train.js", "context/mlx/preload.cjs", "image.tar"]),
    );
    // Dependencies are stored once: inside image.tar, not again in context/.
    expect([...names.keys()].some((n) => n.includes("node_modules"))).toBe(false);
    expect([...names.keys()].some((n) => n.startsWith(`records/runs/${manifest.runs[0]}/manifest.yaml`))).toBe(true);
    const labels = JSON.parse(docker("image", "inspect", manifest.image.id, "--format", "{{json .Config.Labels}}"));
    expect(labels["org.mlx.run-id"]).toBe(manifest.runs[0]);
    const listing = execFileSync("tar", ["-tvf", bundle, "--numeric-owner"], { encoding: "utf8" }).trim().split("\n");
    expect(listing.every((l) => / 0\/0 /.test(l))).toBe(true);
    expect(listing.at(-1)).toMatch(/ SHA256SUMS$/);
  });

  it("gives byte-identical members on a second pack, and the same image id while the builder reuses its cache", async () => {
    const again = join(repo.path, "again.tar");
    const r = await runMlx(["pack", "-o", again], { cwd: repo.path, env: { TZ: "Asia/Tokyo" } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const a = bundleSums(bundle);
    const b = bundleSums(again);
    expect(b).toEqual(a); // includes image.tar: same image id, same docker save bytes
  }, 300_000);

  it("refuses to overwrite without --force, keeping the existing bundle", async () => {
    const before = readFileSync(bundle).subarray(0, 1024);
    const r = await runMlx(["pack"], { cwd: repo.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/bundle\.tar exists.*\n.*--force/);
    expect(readFileSync(bundle).subarray(0, 1024).equals(before)).toBe(true);
  });

  it("stops with exit 2 naming an input that changed since capture, leaving no bundle or temp file", async () => {
    writeFileSync(join(repo.path, "data/extra.csv"), "a,b\n9,9\n"); // same size, other bytes
    try {
      const r = await runMlx(["pack", "-o", "changed.tar"], { cwd: repo.path });
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr)).toContain("input data/extra.csv changed since capture");
      expect(existsSync(join(repo.path, "changed.tar"))).toBe(false);
      expect(readdirSync(repo.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      writeFileSync(join(repo.path, "data/extra.csv"), "a,b\n1,2\n");
    }
  }, 300_000);

  it.each([
    [["pack", "nope"], 2, /no run 'nope'.*\n.*Recent runs: /],
    [["pack", "--include", "/etc/passwd", "-o", "x.tar"], 2, /--include \/etc\/passwd is outside the repository/],
    [
      ["pack", "--base-image", "mlx-absent:0", "-o", "x.tar"],
      3,
      /base image mlx-absent:0 is not in the Docker engine.*\n.*mlx base-image build/,
    ],
  ])("refuses %j with exit %i and a next step", async (args, code, message) => {
    const r = await runMlx(args, { cwd: repo.path });
    expect(r.exitCode).toBe(code);
    expect(String(r.stderr)).toMatch(message);
    expect(existsSync(join(repo.path, "x.tar"))).toBe(false);
  });

  it("exits 3 naming the socket when Docker is unreachable", async () => {
    const r = await runMlx(["pack", "-o", "x.tar"], { cwd: repo.path, env: { DOCKER_HOST: "unix:///nope.sock" } });
    expect(r.exitCode).toBe(3);
    expect(String(r.stderr)).toMatch(/Docker engine not reachable at \/nope\.sock .*\n.*Start it/);
    expect(existsSync(join(repo.path, "x.tar"))).toBe(false);
  });

  it("leaves nothing behind when interrupted with Ctrl-C (exit 130)", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(MLX_BIN, ["pack", "-o", "interrupted.tar"], { cwd: repo.path, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve) => {
      const check = (): void => (/building the image|saving image/.test(stderr) ? resolve() : void setTimeout(check, 20));
      check();
    });
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toContain("pack interrupted (SIGINT); temp files removed");
    expect(existsSync(join(repo.path, "interrupted.tar"))).toBe(false);
    expect(readdirSync(repo.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  }, 300_000);

  it("refuses a failed run unless --allow-failed", async () => {
    await using other = await makeExampleRepo();
    await runMlx(["capture", "--", "node", "-e", "process.exit(4)"], { cwd: other.path });
    const r = await runMlx(["pack"], { cwd: other.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/is failed \(exit 4\).*\n.*--allow-failed/);
  });

  it("exits 2 naming the commit when it is gone from the repository", async () => {
    await using other = await makeExampleRepo();
    await writeFileSync(join(other.path, "extra.js"), "1\n");
    gitIn(other.path, "add", "extra.js");
    gitIn(other.path, "commit", "-qm", "more");
    const cap = await runMlx(["capture", "--", "node", "-e", "0"], { cwd: other.path });
    expect(cap.exitCode).toBe(0);
    const commit = gitIn(other.path, "rev-parse", "HEAD");
    gitIn(other.path, "reset", "-q", "--hard", "HEAD~1");
    gitIn(other.path, "reflog", "expire", "--expire=now", "--all");
    gitIn(other.path, "gc", "-q", "--prune=now");
    const r = await runMlx(["pack"], { cwd: other.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain(`commit ${commit} of the run is no longer in the repository`);
  });

  it("keeps committed secrets (.npmrc with a token) out of the image and the bundle", async () => {
    await using other = await makeExampleRepo({
      ".npmrc": "//registry.npmjs.org/:_authToken=FAKEtoken123\n",
      "sub/.env": "KEY=FAKEtoken123\n",
    });
    await mkdir(join(other.path, "out"));
    expect((await runMlx(["capture", "--", "node", "-e", "0"], { cwd: other.path })).exitCode).toBe(0);
    const r = await runMlx(["pack", "-o", "out/b.tar"], { cwd: other.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toContain(".npmrc looks like a secret: left out");
    expect(execFileSync("sh", ["-c", `grep -ac FAKEtoken123 ${join(other.path, "out/b.tar")} || true`], { encoding: "utf8" }).trim()).toBe(
      "0",
    );
  }, 300_000);
});
