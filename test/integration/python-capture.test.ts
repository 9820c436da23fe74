// `mlx capture` of Python commands with the built CLI and Debian's real interpreter (scripts/setup-python.sh):
// what the record says about the interpreter and its packages, the seeding preload, the mlxrun SDK.
import { execFileSync } from "node:child_process";
import { cpSync } from "node:fs";
import { appendFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { readPythonDistributions } from "../../src/facts/python-distributions.js";
import type { RunManifest } from "../../src/record/types.js";
import { FIXTURES, runMlx, tempDir } from "../helpers/mlx.js";

// `python3` on PATH may be a pyenv shim without numpy: Debian's interpreter is named by path.
const PYTHON = "/usr/bin/python3";
const EXAMPLE = new URL("../../examples/python-digits/", import.meta.url).pathname;
const SDK_DIR = new URL("../../src/sdk/python/", import.meta.url).pathname;

async function runs(cwd: string): Promise<RunManifest[]> {
  const root = join(cwd, ".mlx", "runs");
  const ids = (await readdir(root)).sort();
  return Promise.all(ids.map(async (id) => parse(await readFile(join(root, id, "manifest.yaml"), "utf8")) as RunManifest));
}

async function captured(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<RunManifest> {
  const before = new Set((await readdir(join(cwd, ".mlx", "runs")).catch(() => [])) as string[]);
  const r = await runMlx(["capture", ...args], { cwd, env });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const id = (await readdir(join(cwd, ".mlx", "runs"))).find((x) => !before.has(x))!;
  return parse(await readFile(join(cwd, ".mlx", "runs", id, "manifest.yaml"), "utf8")) as RunManifest;
}

describe("mlx capture of a Python run (Debian's python3)", () => {
  it("the digits example: one seed gives identical metrics, another seed differs, and the record names the environment", async () => {
    await using dir = await tempDir("mlx-py-digits-");
    cpSync(EXAMPLE, dir.path, { recursive: true });
    for (const seed of ["7", "7", "8"]) await captured(dir.path, ["--config", "run.yaml", "--seed", seed]);
    const [a, b, c] = await runs(dir.path);
    expect(a!.metrics?.final["accuracy"]).toEqual(b!.metrics?.final["accuracy"]);
    expect(a!.metrics?.final["accuracy"]).not.toEqual(c!.metrics?.final["accuracy"]);

    expect(a!.seed.preloads).toEqual([
      { runtime: "node", applied: false },
      { runtime: "python", applied: true },
    ]);
    const python = a!.python;
    if (!python?.available) throw new Error(`no python facts: ${JSON.stringify(python)}`);
    expect(python).toMatchObject({ executable: PYTHON, implementation: "CPython", environment: "system", prefix: "/usr" });
    expect(a!.runtimes?.python).toBe(python.version);
    expect(python.interpreterPackage?.package).toMatch(/^python3\.\d+-minimal$/);
    const byName = new Map(python.distributions.map((d) => [d.name, d]));
    expect(byName.get("numpy")).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+/), debian: { package: "python3-numpy" } });
    expect(byName.get("scikit-learn")).toMatchObject({ debian: { package: "python3-sklearn" } });
    expect(byName.get("numpy")!.files).toBeGreaterThan(0);
    // What it imported, noted at exit: what pack installs; not what a .pth file loaded before it ran (matplotlib's nspkg).
    expect(python.imported).toEqual(expect.arrayContaining(["numpy", "scikit-learn", "scipy"]));
    expect(python.imported).not.toContain("matplotlib");
    expect(python.imported!.length).toBeLessThan(python.distributions.length);
  });

  it("a Python run killed before exit records no list of what it imported (pack then installs all)", async () => {
    await using dir = await tempDir("mlx-py-killed-");
    const script = "import os, signal, numpy; os.kill(os.getpid(), signal.SIGKILL)";
    const r = await runMlx(["capture", "--", PYTHON, "-c", script], { cwd: dir.path });
    expect(r.exitCode).toBe(137);
    const [run] = await runs(dir.path);
    if (!run?.python?.available) throw new Error(`no python facts: ${JSON.stringify(run?.python)}`);
    expect(run.python.distributions.length).toBeGreaterThan(0);
    expect(run.python.imported).toBeUndefined();
  });

  it("still records what the run imported when the user's own sitecustomize raises", async () => {
    await using dir = await tempDir("mlx-py-raising-");
    await mkdir(join(dir.path, "own"));
    await writeFile(join(dir.path, "own", "sitecustomize.py"), "raise RuntimeError('broken site hook')\n");
    const r = await runMlx(["capture", "--", PYTHON, "-c", "import numpy"], { cwd: dir.path, env: { PYTHONPATH: join(dir.path, "own") } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const [run] = await runs(dir.path);
    if (!run?.python?.available) throw new Error(`no python facts: ${JSON.stringify(run?.python)}`);
    expect(run.python.imported).toContain("numpy");
  });

  it("a venv made offline: environment venv, its pip-installed package, and a fingerprint that notices an edited file", async () => {
    await using dir = await tempDir("mlx-py-venv-");
    const venv = join(dir.path, "venv");
    execFileSync(PYTHON, ["-m", "venv", "--without-pip", venv]);
    const wheel = execFileSync(PYTHON, [join(FIXTURES, "python", "make-wheel.py"), dir.path], { encoding: "utf8" }).trim();
    execFileSync(PYTHON, ["-m", "pip", "--python", join(venv, "bin", "python"), "install", "-q", "--no-index", wheel]);
    await mkdir(join(dir.path, "work"));
    const run = await captured(join(dir.path, "work"), ["--", join(venv, "bin", "python"), "-c", "import localpkg"]);
    if (!run.python?.available) throw new Error(`no python facts: ${JSON.stringify(run.python)}`);
    expect(run.python).toMatchObject({ executable: join(venv, "bin", "python"), environment: "venv", prefix: venv, basePrefix: "/usr" });
    const recorded = run.python.distributions.find((d) => d.name === "localpkg");
    expect(recorded).toMatchObject({ version: "0.1.0", location: expect.stringContaining(venv), files: expect.any(Number) });
    expect(recorded?.debian).toBeUndefined();

    // What pack will do: read the distributions again and compare fingerprints.
    const same = (await readPythonDistributions(join(venv, "bin", "python"))).find((d) => d.name === "localpkg");
    expect(same?.fingerprint).toBe(recorded?.fingerprint);
    await appendFile(join(recorded!.location, "localpkg", "__init__.py"), "VALUE = 2\n");
    const edited = (await readPythonDistributions(join(venv, "bin", "python"))).find((d) => d.name === "localpkg");
    expect(edited?.version).toBe("0.1.0");
    expect(edited?.fingerprint).not.toBe(recorded?.fingerprint);
  });

  it("chains to the sitecustomize the command would have had, and seeds random before it runs", async () => {
    await using dir = await tempDir("mlx-py-chain-");
    const own = join(dir.path, "own");
    await mkdir(own);
    await writeFile(join(own, "sitecustomize.py"), "import random\nprint('own sitecustomize: %r' % random.random())\n");
    const expected = execFileSync(PYTHON, ["-c", "import random; random.seed(11); print('own sitecustomize: %r' % random.random())"], {
      encoding: "utf8",
    }).trim();
    const r = await runMlx(["capture", "--seed", "11", "--", PYTHON, "-c", "print('main ran')"], {
      cwd: dir.path,
      env: { PYTHONPATH: own },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).split("\n")).toEqual(expect.arrayContaining([expected, "main ran"]));
  });

  it("seeds torch through torch.manual_seed once the script imports it (a stand-in torch package)", async () => {
    await using dir = await tempDir("mlx-py-torch-");
    await mkdir(join(dir.path, "fake", "torch"), { recursive: true });
    const stand = "def manual_seed(value):\n    print('manual_seed(%d)' % value)\n";
    await writeFile(join(dir.path, "fake", "torch", "__init__.py"), stand);
    const r = await runMlx(["capture", "--seed", "9", "--", PYTHON, "-c", "import sys; print('before'); import torch"], {
      cwd: dir.path,
      env: { PYTHONPATH: join(dir.path, "fake") },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout).trim()).toBe("before\nmanual_seed(9)");
  });

  it("--no-seed-preload: nothing seeded, the record says so, and mlxrun still imports", async () => {
    await using dir = await tempDir("mlx-py-noseed-");
    const script = "import mlxrun, random; print('seed=%s' % mlxrun.seed()); print('draw=%r' % random.random())";
    const run = await captured(dir.path, ["--seed", "3", "--no-seed-preload", "--", PYTHON, "-c", script]);
    expect(run.seed).toMatchObject({
      preload: false,
      preloads: [
        { runtime: "node", applied: false },
        { runtime: "python", applied: false },
      ],
    });
    const seeded = execFileSync(PYTHON, ["-c", "import random; random.seed(3); print(repr(random.random()))"], { encoding: "utf8" });
    expect(run.metrics?.final["seed"]).toBe(3);
    expect(run.metrics?.final["draw"]).not.toBe(Number(seeded));
  });

  it("a node command records no Python facts and claims only the node preload", async () => {
    await using dir = await tempDir("mlx-py-node-");
    const run = await captured(dir.path, ["--", process.execPath, "-e", "0"]);
    expect(run.python).toEqual({ available: false, reason: "not a Python command" });
    expect(run.seed.preloads).toEqual([
      { runtime: "node", applied: true },
      { runtime: "python", applied: false },
    ]);
  });
});

describe("the Python preload's list of imported distributions (MLX_PYTHON_IMPORTS_FILE)", () => {
  async function importsOf(script: string): Promise<{ top: boolean; modules: string[]; distributions: string[] }[]> {
    await using dir = await tempDir("mlx-py-imports-");
    const file = join(dir.path, "imports.jsonl");
    const env = { PATH: process.env["PATH"] ?? "", PYTHONPATH: SDK_DIR, PYTHONDONTWRITEBYTECODE: "1", MLX_PYTHON_IMPORTS_FILE: file };
    execFileSync(PYTHON, ["-c", script], { env, stdio: "ignore" });
    const text = await readFile(file, "utf8").catch(() => "");
    return text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { top: boolean; modules: string[]; distributions: string[] });
  }

  it("notes at exit the top-level packages loaded from site folders and their distributions; not the standard library", async () => {
    const [line, ...more] = await importsOf("import json, sklearn.utils");
    expect(more).toEqual([]);
    expect(line!.top).toBe(true);
    expect(line!.modules).toEqual(expect.arrayContaining(["numpy", "scipy", "sklearn"]));
    expect(line!.modules).not.toContain("json");
    expect(line!.distributions).toEqual(expect.arrayContaining(["numpy", "scikit-learn", "scipy"]));
  });

  it("a Python started by the run adds its own line, not marked top; one killed by a signal adds none", async () => {
    const child = `import subprocess, sys; subprocess.run([sys.executable, "-c", "import numpy"], check=True)`;
    const lines = await importsOf(child);
    expect(lines.map((l) => [l.top, l.distributions])).toEqual([
      [false, ["numpy"]],
      [true, []],
    ]);
    const killed = `import subprocess, sys; subprocess.run([sys.executable, "-c", "import numpy, os; os.kill(os.getpid(), 9)"])`;
    expect((await importsOf(killed)).map((l) => l.top)).toEqual([true]);
  });
});

describe("the mlxrun SDK", () => {
  const script = [
    "import mlxrun",
    "mlxrun.log({'loss': 0.5, 'acc': 1, 'flag': True, 'name': 'x'}, step=1)",
    "mlxrun.log('loss', 0.25, step=2)",
    "mlxrun.log({'gap': float('nan')})",
    "print('params', mlxrun.params(), 'seed', mlxrun.seed())",
  ].join("\n");

  it("writes the metrics file mlx reads: the same series as the TypeScript SDK", async () => {
    await using dir = await tempDir("mlx-py-sdk-");
    const run = await captured(dir.path, ["--no-stdout-metrics", "--param", "lr=0.1", "--seed", "5", "--", PYTHON, "-c", script]);
    expect(run.metrics?.final).toEqual({ loss: 0.25, acc: 1, gap: "NaN" });
    const folder = join(dir.path, ".mlx", "runs", run.id);
    const series = (await readFile(join(folder, run.metrics!.series), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as unknown);
    expect(series).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "loss", value: 0.5, step: 1, source: "sdk" }),
        expect.objectContaining({ name: "loss", value: 0.25, step: 2, source: "sdk" }),
      ]),
    );
    expect(await readFile(join(folder, run.logs.stdout), "utf8")).toContain("params {'lr': 0.1} seed 5");
  });

  it("works without mlx: log does nothing, params() is {}, seed() is None", () => {
    const env = { PATH: process.env["PATH"] ?? "", PYTHONPATH: SDK_DIR, PYTHONDONTWRITEBYTECODE: "1" };
    expect(execFileSync(PYTHON, ["-c", script], { encoding: "utf8", env })).toBe("params {} seed None\n");
  });
});
