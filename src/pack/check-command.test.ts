import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TarEntry } from "../bundle/tar-writer.js";
import { BadInputError } from "../errors.js";
import { makeRepo, writeFiles } from "../../test/helpers/git-repo.js";
import { MemoryDocker } from "../../test/helpers/memory-docker.js";
import { checkCommandEntry, checkInterpreterStarts, parseCommandEntry } from "./check-command.js";

describe("parseCommandEntry", () => {
  const shebangs: Record<string, string> = {
    "./train.py": "#!/usr/bin/env python3",
    "bin/run": "#!/usr/local/bin/node --max-old-space-size=100",
    "./go.sh": "#!/bin/sh",
  };
  it.each([
    [["node", "train.js"], "node", "node", "train.js"],
    [["node", "--require", "./hook.cjs", "--max-old-space-size=512", "dist/train.js", "--lr", "1"], "node", "node", "dist/train.js"],
    [["node", "-e", "console.log(1)"], "node", "node", null],
    [["/usr/local/bin/node", "--", "x.js"], "node", "/usr/local/bin/node", "x.js"],
    [["python3", "train.py", "--epochs", "3"], "python", "python3", "train.py"],
    [["python3.11", "-u", "-W", "ignore", "src/train.py"], "python", "python3.11", "src/train.py"],
    [["python", "-c", "print(1)"], "python", "python", null],
    [["python3", "-m", "pkg.train"], "python", "python3", null],
    [["uv", "run", "python", "train.py"], "python", "uv", "train.py"],
    [["poetry", "run", "train.py"], "python", "poetry", "train.py"],
    [["./train.py", "--x"], "python", "python3", "./train.py"],
    [["bin/run"], "node", "/usr/local/bin/node", "bin/run"],
    [["./go.sh"], null, null, "./go.sh"],
    [["bash", "go.sh"], null, null, null],
  ])("%j: %s via %s, entry %s", (argv, runtime, interpreter, entry) => {
    expect(parseCommandEntry(argv as string[], (p) => shebangs[p] ?? null)).toEqual({ runtime, interpreter, entry });
  });
});

describe("checkCommandEntry (a real git repository)", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  const app = (path: string, data = "x\n"): TarEntry => ({
    name: `app/${path}`,
    source: { kind: "data", data: Buffer.from(data) },
    mode: 0o644,
  });

  beforeAll(async () => {
    repo = await makeRepo({ ".gitignore": "dist/\n", "src/train.js": "1\n", "train.py": "print(1)\n" });
    writeFiles(repo.path, { "dist/train.js": "built\n" });
  });
  afterAll(async () => repo?.[Symbol.asyncDispose]());

  it("accepts a script that is in the code, from the working folder, or a mounted input", async () => {
    const entries = [app("src/train.js"), app("train.py")];
    await expect(checkCommandEntry(["node", "train.js"], "src", entries, [], repo.path)).resolves.toMatchObject({ entry: "train.js" });
    await expect(checkCommandEntry(["python3", "train.py"], ".", entries, [], repo.path)).resolves.toMatchObject({ runtime: "python" });
    await expect(checkCommandEntry(["node", "data/run.js"], ".", entries, ["data/run.js"], repo.path)).resolves.toBeDefined();
  });

  it("refuses a git-ignored dist/ entry with exit 2, naming the file, the cause and the next step", async () => {
    const error = await checkCommandEntry(["node", "dist/train.js"], ".", [app("src/train.js")], [], repo.path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).exitCode).toBe(2);
    expect((error as BadInputError).message).toMatch(/dist\/train\.js .*ignored by git \(\.gitignore:1:dist\/\)/);
    expect((error as BadInputError).hint).toMatch(/Commit dist\/train\.js.*mlx pack --include dist\/train\.js/);
  });

  it("refuses an entry that is nowhere, saying it is in neither the commit nor the patch", async () => {
    const error = await checkCommandEntry(["python3", "gone.py"], ".", [], [], repo.path).catch((e: unknown) => e);
    expect((error as BadInputError).message).toMatch(/gone\.py .*neither in the run's commit nor in its recorded patch/);
  });

  it("reads a script's shebang from the code to know its interpreter", async () => {
    const entries = [app("tool.py", "#!/usr/bin/env python3\nprint(1)\n")];
    await expect(checkCommandEntry(["./tool.py"], ".", entries, [], repo.path)).resolves.toEqual({
      runtime: "python",
      interpreter: "python3",
      entry: "./tool.py",
    });
  });
});

describe("checkInterpreterStarts", () => {
  const check = (docker: MemoryDocker, imageId: string) =>
    checkInterpreterStarts(
      docker,
      { runtime: "python", interpreter: "python3", entry: "train.py" },
      { imageId, baseImage: "node:20", cwd: ".", lockfiles: [] },
    );

  it("runs the interpreter once in the image, hardened (no network, no mounts), and returns the facts it printed", async () => {
    const docker = new MemoryDocker((_spec, io) => {
      io.stdout.write('{"python": "3.11.2", "packages": {"numpy": "1.24.2"}, "env": {"OMP_NUM_THREADS": null}}\n');
      return { exitCode: 0 };
    });
    const facts = await check(docker, docker.addImage("built"));
    expect(docker.runs).toHaveLength(1);
    expect(docker.runs[0]).toMatchObject({ network: false, binds: [], workdir: "/app", gpus: null });
    expect(docker.runs[0]!.argv.slice(0, 2)).toEqual(["python3", "-c"]);
    expect(facts).toMatchObject({ python: "3.11.2", packages: { numpy: "1.24.2" }, env: { OMP_NUM_THREADS: null } });
  });

  it("runs a launcher (uv) with --version only, and records no facts", async () => {
    const docker = new MemoryDocker();
    const entry = { runtime: "python" as const, interpreter: "uv", entry: "train.py" };
    const facts = await checkInterpreterStarts(docker, entry, { imageId: docker.addImage("b"), baseImage: "b", cwd: ".", lockfiles: [] });
    expect(docker.runs[0]!.argv).toEqual(["uv", "--version"]);
    expect(facts).toBeNull();
  });

  it("refuses with exit 2 when the image lacks the interpreter (the engine's start failure)", async () => {
    const docker = new MemoryDocker(() => {
      throw new BadInputError('the bundle\'s command "python3" is not in its image', "ask its author");
    });
    const error = await check(docker, docker.addImage("built")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).message).toMatch(
      /python3 cannot start in the image built on node:20: exec: "python3": executable file/,
    );
    expect((error as BadInputError).hint).toMatch(/--base-image python:/);
  });

  it("refuses with exit 2 when it starts but fails, quoting its output", async () => {
    const docker = new MemoryDocker((_spec, io) => {
      io.stderr.write("error while loading shared libraries: libpython3.11.so\n");
      return { exitCode: 127 };
    });
    await expect(check(docker, docker.addImage("built"))).rejects.toThrow(/`python3` exited 127: error while loading shared libraries/);
  });

  it("runs nothing for a command whose interpreter is unknown", async () => {
    const docker = new MemoryDocker();
    await checkInterpreterStarts(
      docker,
      { runtime: null, interpreter: null, entry: null },
      { imageId: "x", baseImage: "b", cwd: ".", lockfiles: [] },
    );
    expect(docker.runs).toHaveLength(0);
  });
});
