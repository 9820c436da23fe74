// Real repository shapes that a pack must either carry end to end or refuse up front (exit 2, naming
// the file), never leaving a temp folder behind. Real git repositories, real captures, packRun against
// the in-memory engine.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors.js";
import { type PackOptions, packRun } from "../../src/pack/pack-run.js";
import { captureIn } from "../helpers/capture-in.js";
import { gitIn, makeRepo, writeFiles } from "../helpers/git-repo.js";
import { MemoryDocker } from "../helpers/memory-docker.js";
import { tempDir } from "../helpers/mlx.js";

type Dir = Awaited<ReturnType<typeof tempDir>>;
const BASE = "base:test";

describe("pack: real repository shapes", () => {
  let preload: Dir;
  let out: Dir;
  // A private TMPDIR: every mlx-pack-* and mlx-index-* folder made during a test lands here, and only here.
  let tmp: string;
  const savedTmp = process.env["TMPDIR"];

  beforeAll(async () => {
    preload = await tempDir("mlx-preload-");
    out = await tempDir("mlx-shapes-out-");
    writeFiles(preload.path, { "preload.cjs": "// preload\n", "seeded-random.cjs": "// generator\n" });
    tmp = mkdtempSync(join(tmpdir(), "mlx-shapes-tmp-"));
    process.env["TMPDIR"] = tmp;
  });
  afterAll(async () => {
    if (savedTmp === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = savedTmp;
    rmSync(tmp, { recursive: true, force: true });
    for (const dir of [preload, out]) await dir?.[Symbol.asyncDispose]();
  });

  async function pack(cwd: string, over: Partial<PackOptions> = {}): Promise<unknown> {
    const docker = new MemoryDocker();
    docker.addImage(BASE);
    const options: PackOptions = {
      cwd,
      runRef: "latest",
      output: join(out.path, "bundle.tar"),
      baseImage: BASE,
      noImage: true,
      includes: [],
      allowFailed: false,
      force: true,
      ...over,
    };
    const deps = {
      docker,
      progress: { step: () => undefined, update: () => undefined },
      mlxVersion: "0.0.0-test",
      preloadPath: join(preload.path, "preload.cjs"),
      temps: new Set<string>(),
    };
    return packRun(options, deps).catch((e: unknown) => e);
  }

  function expectRefused(error: unknown, message: RegExp): void {
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).exitCode).toBe(2);
    expect((error as BadInputError).message).toMatch(message);
    expect(readdirSync(tmp).filter((n) => /^mlx-(pack|index)-/.test(n))).toEqual([]); // no temp folder of pack or capture left
  }

  it("records a submodule's uncommitted changes (dirty, warned) and refuses to pack it unless --include'd", async () => {
    await using sub = await makeRepo({ "lib.js": "module.exports = 1\n" });
    await using repo = await makeRepo({ "run.js": "\n" });
    gitIn(repo.path, "-c", "protocol.file.allow=always", "submodule", "add", "-q", sub.path, "vendor/lib");
    gitIn(repo.path, "commit", "-qm", "submodule");
    writeFileSync(join(repo.path, "vendor/lib/lib.js"), "module.exports = 2\n");
    const run = await captureIn(repo.path, ["node", "run.js"]);
    expect(run.manifest.git).toMatchObject({ available: true, dirty: true });
    expect(run.manifest.warnings).toContain("submodule vendor/lib has uncommitted changes; pack cannot include them");

    expectRefused(await pack(repo.path), /has submodules whose content pack cannot take from git: vendor\/lib$/);
    const included = await pack(repo.path, { includes: ["vendor/lib"], output: join(out.path, "sub.tar") });
    expect(included).toMatchObject({ runId: run.manifest.id });
    const names = execFileSync("tar", ["-tf", join(out.path, "sub.tar")], { encoding: "utf8" }).split("\n");
    expect(names).toContain("context/app/vendor/lib/lib.js");
    expect(names.filter((n) => n.includes(".git/") || n.endsWith("/.git"))).toEqual([]);
  });

  it("refuses a file name the bundle reader would refuse (a newline, case twins), naming it", async () => {
    await using repo = await makeRepo({ "run.js": "\n", "odd\nname.txt": "x\n" });
    await captureIn(repo.path, ["node", "run.js"]);
    expectRefused(await pack(repo.path), /^cannot pack "context\/app\/odd\\nname.txt": a line break in the name/);

    await using twins = await makeRepo({ "run.js": "\n", "README.md": "a\n", "readme.md": "b\n" });
    await captureIn(twins.path, ["node", "run.js"]);
    expectRefused(await pack(twins.path), /^cannot pack "context\/app\/readme.md": it collides with "context\/app\/README.md"/);
  });

  it.each([["/etc/passwd"], ["../../.."]])(
    "refuses a committed link to %s with exit 2 naming it, and leaves no temp folder",
    async (target) => {
      await using repo = await makeRepo({ "run.js": "\n" });
      mkdirSync(join(repo.path, "conf"));
      symlinkSync(target, join(repo.path, "conf/link"));
      gitIn(repo.path, "add", "-A");
      gitIn(repo.path, "commit", "-qm", "link");
      await captureIn(repo.path, ["node", "run.js"]);
      expectRefused(await pack(repo.path), new RegExp(`^app/conf/link is a link to ${target.replace(/[./]/g, "\\$&")}, outside`));
    },
  );

  it("refuses -o an existing folder, even with --force, before building anything", async () => {
    await using repo = await makeRepo({ "run.js": "\n" });
    await captureIn(repo.path, ["node", "run.js"]);
    const folder = join(out.path, "a-folder");
    mkdirSync(folder);
    expectRefused(await pack(repo.path, { output: folder, force: true }), /a-folder is a folder$/);
  });

  it("refuses to pack when a file inside node_modules was edited after capture (same packages, same size)", async () => {
    await using repo = await makeRepo({ ".gitignore": "node_modules\n", "run.js": "\n" });
    const lib = join(repo.path, "node_modules/tiny/index.js");
    writeFiles(repo.path, { "node_modules/tiny/package.json": '{"name":"tiny","version":"1.0.0"}', "node_modules/tiny/index.js": "1\n" });
    const run = await captureIn(repo.path, ["node", "run.js"]);
    expect(run.manifest.dependencies?.nodeModules).toMatchObject({ available: true, count: 1 });
    writeFileSync(lib, "2\n");
    expectRefused(await pack(repo.path), /^node_modules changed since capture: a package or file was added, removed or edited/);
  });
});

describe("capture: a repository git refuses", () => {
  it("records git as unavailable with git's reason and the fix, and warns (dubious ownership)", async (ctx) => {
    if (process.getuid?.() !== 0) ctx.skip(); // chown needs root, as the reported case ran
    await using repo = await makeRepo({ "run.js": "\n" });
    execFileSync("chown", ["-R", "1234:1234", repo.path]);
    const home = mkdtempSync(join(tmpdir(), "mlx-home-")); // no safe.directory from the real global config
    const savedHome = process.env["HOME"];
    process.env["HOME"] = home;
    try {
      const run = await captureIn(repo.path, ["node", "run.js"]);
      expect(run.manifest.git).toEqual({
        available: false,
        reason: expect.stringMatching(/dubious ownership.*Fix: git config --global --add safe\.directory /),
      });
      expect(run.manifest.warnings).toContainEqual(
        expect.stringMatching(/^git state not recorded \(pack will refuse this run\): .*dubious/),
      );
    } finally {
      process.env["HOME"] = savedHome;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
