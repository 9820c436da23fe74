// The pack flow against an in-memory Docker engine: a real git repository and a run captured by the
// built mlx, packed by packRun itself. The real engine's behaviour is covered by test/e2e/pack.test.ts.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadInputError, EnvironmentError } from "../../src/errors.js";
import { type PackDeps, type PackOptions, packRun } from "../../src/pack/pack-run.js";
import { writeFiles, makeRepo } from "../helpers/git-repo.js";
import { MemoryDocker } from "../helpers/memory-docker.js";
import { runMlx, tempDir } from "../helpers/mlx.js";

type Dir = Awaited<ReturnType<typeof tempDir>>;

/** A Set that also remembers every path it ever held: the temp files a pack made. */
class SeenSet extends Set<string> {
  readonly seen: string[] = [];
  override add(path: string): this {
    this.seen?.push(path);
    return super.add(path);
  }
}

describe("packRun (in-memory Docker engine)", () => {
  let repo: Dir;
  let out: Dir;
  let preload: Dir;
  let baseImage: string;
  let runId: string;

  beforeAll(async () => {
    repo = await makeRepo({
      ".gitignore": "node_modules\n",
      "train.js": "console.log('acc=0.9')\n",
      "data/in.csv": "a,b\n1,2\n",
      ".npmrc": "//registry.npmjs.org/:_authToken=FAKEtoken123\n",
    });
    writeFiles(repo.path, { "node_modules/tiny/package.json": JSON.stringify({ name: "tiny", version: "1.0.0" }) });
    const captured = await runMlx(["capture", "--input", "data/in.csv", "--", "node", "train.js"], { cwd: repo.path });
    expect(captured.exitCode, String(captured.stderr)).toBe(0);
    runId = readdirSync(join(repo.path, ".mlx", "runs"))[0]!;
    const run = parse(readFileSync(join(repo.path, ".mlx", "runs", runId, "manifest.yaml"), "utf8"));
    baseImage = `node:${run.runtimes.node}-bookworm-slim`;
    out = await tempDir("mlx-pack-out-");
    preload = await tempDir("mlx-preload-");
    writeFiles(preload.path, { "preload.cjs": "// preload\n", "seeded-random.cjs": "// generator\n" });
  });
  afterAll(async () => {
    for (const dir of [repo, out, preload]) await dir?.[Symbol.asyncDispose]();
  });

  function setUp(over: Partial<PackOptions> = {}, docker = engineWithBase()) {
    const steps: string[] = [];
    const temps = new SeenSet();
    const deps: PackDeps = {
      docker,
      progress: { step: (line) => steps.push(line), update: () => undefined },
      mlxVersion: "0.0.0-test",
      preloadPath: join(preload.path, "preload.cjs"),
      temps,
    };
    const options: PackOptions = {
      cwd: repo.path,
      runRef: "latest",
      output: join(out.path, "bundle.tar"),
      noImage: false,
      includes: [],
      allowFailed: false,
      force: true,
      ...over,
    };
    return { options, deps, docker, temps, steps };
  }

  function engineWithBase(): MemoryDocker {
    const docker = new MemoryDocker();
    docker.addImage(baseImage);
    return docker;
  }

  /** Nothing of a pack stays behind: no temp file beside the output, no scratch folder, no tracked temp. */
  function expectNoLeftovers(temps: SeenSet): void {
    expect(readdirSync(out.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(temps.size).toBe(0);
    expect(temps.seen.length).toBeGreaterThan(0);
    expect(temps.seen.filter((p) => existsSync(p))).toEqual([]);
  }

  function members(bundle: string): string[] {
    return execFileSync("tar", ["-tf", bundle], { encoding: "utf8" }).trim().split("\n");
  }

  it("exits 3 when the base image is not in the engine, with a hint any npm user can follow", async () => {
    const { options, deps, docker } = setUp({ output: join(out.path, "no-base.tar") }, new MemoryDocker());
    const error: unknown = await packRun(options, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).exitCode).toBe(3);
    expect((error as EnvironmentError).message).toBe(
      `base image ${baseImage} is not in the Docker engine, and no registry gave it (docker pull ${baseImage} failed: connection refused)`,
    );
    expect((error as EnvironmentError).hint).toBe(
      "Build it offline with: mlx base-image build (or docker pull it where a registry answers), or choose one with --base-image.",
    );
    expect(docker.calls).toEqual(["ping", "pull"]);
    expect(existsSync(options.output)).toBe(false);
  });

  it("writes a bundle whose every member is listed in SHA256SUMS with its digest; dependencies only inside image.tar", async () => {
    const { options, deps, docker, temps } = setUp();
    const result = await packRun(options, deps);
    const names = members(result.path);
    expect(names.at(-1)).toBe("SHA256SUMS");
    expect(result.members).toBe(names.length);
    expect(names).toEqual(
      expect.arrayContaining([
        "bundle.yaml",
        "context/.dockerignore",
        "context/Dockerfile",
        "context/app/train.js",
        "context/mlx/preload.cjs",
        "context/mlx/seeded-random.cjs",
        "data/data/in.csv",
        "image.tar",
        `records/runs/${runId}/manifest.yaml`,
      ]),
    );
    expect(names.filter((n) => n.includes("node_modules") || n.includes(".npmrc"))).toEqual([]);
    expect(result.warnings).toEqual([".npmrc looks like a secret: left out of the image and the bundle"]);

    await using extracted = await tempDir();
    execFileSync("tar", ["-xf", result.path, "-C", extracted.path]);
    const checked = execFileSync("sha256sum", ["-c", "SHA256SUMS"], { cwd: extracted.path, encoding: "utf8" }).trim().split("\n");
    expect(checked).toEqual(names.slice(0, -1).map((n) => `${n}: OK`));
    expect(execFileSync("sha256sum", [result.path], { encoding: "utf8" }).slice(0, 64)).toBe(result.sha256);

    const manifest = parse(readFileSync(join(extracted.path, "bundle.yaml"), "utf8"));
    expect(manifest).toMatchObject({ runs: [runId], image: { id: result.imageId, file: "image.tar", baseImage, dependencies: "image" } });
    expect(manifest.data).toEqual([{ path: "data/in.csv", sizeBytes: 8, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    // The image itself was built with the vendored packages.
    expect([...docker.images.get(result.imageId)!.files.keys()]).toContain("app/node_modules/tiny/package.json");
    expect(docker.calls).toEqual(["ping", "build", "run", "save"]);
    expectNoLeftovers(temps);
  });

  it("puts node_modules in context/ and no image.tar with --no-image", async () => {
    const { options, deps, docker, temps } = setUp({ noImage: true, output: join(out.path, "no-image.tar") });
    const result = await packRun(options, deps);
    const names = members(result.path);
    expect(names).toContain("context/app/node_modules/tiny/package.json");
    expect(names).not.toContain("image.tar");
    const manifest = parse(execFileSync("tar", ["-xOf", result.path, "bundle.yaml"], { encoding: "utf8" }));
    expect(manifest.image).toMatchObject({ file: null, dependencies: "context" });
    expect(docker.calls).toEqual(["ping", "build", "run"]);
    expectNoLeftovers(temps);
  });

  it("leaves no bundle and no temp file when the image build fails (exit 2 with the builder's words)", async () => {
    const { options, deps, docker, temps } = setUp({ output: join(out.path, "failed.tar") });
    docker.buildError = "The command '/bin/sh -c npm ci' returned a non-zero code: 1";
    const error: unknown = await packRun(options, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect(String(error)).toContain("image build failed: The command '/bin/sh -c npm ci'");
    expect(existsSync(options.output)).toBe(false);
    expectNoLeftovers(temps);
  });

  it("exits 2 on an existing output without --force, before asking the engine, and keeps the file", async () => {
    const output = join(out.path, "existing.tar");
    writeFileSync(output, "keep me");
    const { options, deps, docker } = setUp({ output, force: false });
    const error: unknown = await packRun(options, deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).exitCode).toBe(2);
    expect((error as BadInputError).message).toBe(`${output} exists`);
    expect((error as BadInputError).hint).toMatch(/--force/);
    expect(docker.calls).toEqual([]);
    expect(readFileSync(output, "utf8")).toBe("keep me");
  });

  it("exits 2 naming an input whose bytes changed since capture, leaving no bundle", async () => {
    const input = join(repo.path, "data/in.csv");
    writeFileSync(input, "a,b\n9,9\n"); // same size: only the sha256, checked while writing, tells
    try {
      const { options, deps, temps } = setUp({ output: join(out.path, "changed.tar") });
      const error: unknown = await packRun(options, deps).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadInputError);
      expect(String(error)).toContain("input data/in.csv changed since capture (sha256 ");
      expect(existsSync(options.output)).toBe(false);
      expectNoLeftovers(temps);
    } finally {
      writeFileSync(input, "a,b\n1,2\n");
    }
  });
});
