// Base images from a registry, for real: Debian's docker-registry on 127.0.0.1 holds the offline-built
// base image; pack pulls it when the engine lacks it and pins it by digest; without a registry, exit 3.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { makeRepo } from "../helpers/git-repo.js";
import { runMlx, tempDir } from "../helpers/mlx.js";

const REGISTRY_BIN = "/usr/bin/docker-registry";
const LOCAL_BASE = `node:${process.versions.node}-bookworm-slim`;

function registryReady(): boolean {
  if (existsSync(REGISTRY_BIN)) return true;
  if (process.env["CI"]) throw new Error(`CI=true but ${REGISTRY_BIN} is missing: run scripts/setup-registry.sh`);
  console.warn(
    `\n*** SKIPPING the registry test: ${REGISTRY_BIN} is missing. Run \`bash scripts/setup-registry.sh\` (root, Debian). ***\n`,
  );
  return false;
}

const ready = dockerReady() && registryReady();

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForRegistry(port: number, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port}`);
}

/** Removes one reference to an image (a tag or a digest reference); the image stays while others name it. */
function removeTag(ref: string): void {
  try {
    execFileSync("docker", ["rmi", ref], { stdio: "ignore" });
  } catch {
    // already gone
  }
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

describe.skipIf(!ready)("base images from a registry (real docker-registry, real engine)", () => {
  let folder: Awaited<ReturnType<typeof tempDir>>;
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  let registry: ChildProcess | undefined;
  let remote: string;
  const removeAfter: string[] = [];

  beforeAll(async () => {
    folder = await tempDir("mlx-registry-");
    const port = await freePort();
    const config = join(folder.path, "config.yml");
    writeFileSync(
      config,
      ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${join(folder.path, "data")}`]
        .concat(["http:", `  addr: 127.0.0.1:${port}`])
        .join("\n") + "\n",
    );
    registry = spawn(REGISTRY_BIN, ["serve", config], { stdio: "ignore" });
    await waitForRegistry(port, registry);
    // The offline-built base image, pushed (docker trusts 127.0.0.1 without TLS), then its tag removed.
    remote = `127.0.0.1:${port}/${LOCAL_BASE}`;
    removeAfter.push(remote);
    docker("tag", LOCAL_BASE, remote);
    docker("push", "--quiet", remote);
    // The push gave the image a digest reference in that repository too: removed after the tests.
    const digests = JSON.parse(docker("image", "inspect", LOCAL_BASE, "--format", "{{json .RepoDigests}}")) as string[];
    removeAfter.push(...digests.filter((d) => d.startsWith(`127.0.0.1:${port}/`)));
    docker("rmi", remote);
    repo = await makeRepo({ ".gitignore": "*.tar\n", "train.js": "console.log('acc=0.9')\n" });
    const cap = await runMlx(["capture", "--", "node", "train.js"], { cwd: repo.path });
    expect(cap.exitCode, String(cap.stderr)).toBe(0);
  }, 300_000);

  afterAll(async () => {
    await stop(registry); // never leave a registry behind, whatever failed
    for (const ref of removeAfter) removeTag(ref);
    await repo?.[Symbol.asyncDispose]();
    await folder?.[Symbol.asyncDispose]();
  }, 60_000);

  it("pulls the missing base image with progress and pins it by digest in the Dockerfile and the record", async () => {
    const packed = await runMlx(["pack", "--base-image", remote, "-o", "pulled.tar"], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
    expect(String(packed.stderr)).toMatch(/is not in the engine: pulling it from the engine's registry/);
    const repoDigests = JSON.parse(docker("image", "inspect", remote, "--format", "{{json .RepoDigests}}")) as string[];
    const repoDigest = repoDigests.find((d) => d.startsWith(remote.split("/")[0]!))!;
    removeAfter.push(repoDigest);
    expect(repoDigest).toMatch(/^127\.0\.0\.1:\d+\/node@sha256:[0-9a-f]{64}$/);
    const manifest = parse(execFileSync("tar", ["-xOf", join(repo.path, "pulled.tar"), "bundle.yaml"], { encoding: "utf8" }));
    expect(manifest.image.baseImage).toBe(repoDigest);
    expect(manifest.image.base).toEqual({
      tag: remote,
      digest: repoDigest.split("@")[1],
      imageId: docker("image", "inspect", remote, "--format", "{{.Id}}"),
      pinnedBy: "digest",
    });
    const dockerfile = execFileSync("tar", ["-xOf", join(repo.path, "pulled.tar"), "context/Dockerfile"], { encoding: "utf8" });
    expect(dockerfile).toContain(`\nFROM ${repoDigest}\n`);
  }, 300_000);

  it("exits 3 with the offline next step when the image is absent and no registry answers", async () => {
    await stop(registry);
    for (const ref of removeAfter) removeTag(ref);
    const r = await runMlx(["pack", "--base-image", remote, "-o", "offline.tar"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(3);
    expect(String(r.stderr)).toMatch(new RegExp(`base image ${remote.replace(/\./g, "\\.")} is not in the Docker engine, and no registry`));
    expect(String(r.stderr)).toMatch(/mlx base-image build/);
    expect(existsSync(join(repo.path, "offline.tar"))).toBe(false);
  }, 120_000);

  it("keeps the tag of a base image built offline (no RepoDigests) and records that only its id pins it", async () => {
    const r = await runMlx(["pack", "--base-image", LOCAL_BASE, "--no-image", "-o", "local.tar"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const manifest = parse(execFileSync("tar", ["-xOf", join(repo.path, "local.tar"), "bundle.yaml"], { encoding: "utf8" }));
    expect(manifest.image.baseImage).toBe(LOCAL_BASE);
    expect(manifest.image.base).toMatchObject({ tag: LOCAL_BASE, digest: null, pinnedBy: "image-id" });
  }, 300_000);
});
