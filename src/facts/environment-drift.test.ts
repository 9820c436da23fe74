import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunManifest } from "../record/types.js";
import { writeFiles } from "../../test/helpers/git-repo.js";
import { tempDir } from "../../test/helpers/mlx.js";
import { runManifest } from "../../test/helpers/records.js";
import { compareEnvironments, type HostFacts, type ImageRuntime, runtimeAtReplay, runtimeOfRun } from "./environment-drift.js";
import { parseImageRuntime, runtimeProbeArgv } from "./probe-image-runtime.js";

const IMAGE = `sha256:${"a".repeat(64)}`;
const host: HostFacts = {
  system: { available: false, reason: "x" },
  gpus: { available: false, reason: "x" },
  docker: "20.10",
  imageId: IMAGE,
};
const dist = (name: string, version: string) => ({
  name,
  version,
  location: "/usr/lib/python3/dist-packages",
  fingerprint: "f".repeat(64),
  files: 1,
});

const pythonRun: RunManifest = runManifest({
  command: { argv: ["python3", "train.py"], redactedArgs: [], shell: false, cwd: "." },
  env: { vars: { OMP_NUM_THREADS: "1" }, refused: [] },
  runtimes: { docker: "20.10" },
  python: {
    available: true,
    executable: "/usr/bin/python3",
    version: "3.11.2",
    implementation: "CPython",
    environment: "venv",
    prefix: "/venv",
    basePrefix: "/usr",
    siteFolders: [],
    distributions: [dist("numpy", "1.24.2"), dist("scikit_learn", "1.2.1"), dist("requests", "2.0"), dist("torch", "2.11.0+cu130")],
    torch: { version: "2.11.0+cu130", cuda: "13.0", cudnn: "9.19.0.56" },
  },
});

const image: ImageRuntime = {
  python: "3.11.2",
  node: null,
  packages: { numpy: "1.24.2", "scikit-learn": "1.2.1", torch: "2.11.0+cu130", "nvidia-cudnn-cu13": "9.19.0.56" },
  torch: { version: "2.11.0+cu130", cuda: "13.0" },
  lockfiles: {},
  env: { OMP_NUM_THREADS: null, MKL_NUM_THREADS: "4" },
};

const rowsOf = (run: RunManifest, runtime: HostFacts["runtime"]) =>
  Object.fromEntries(compareEnvironments(run, IMAGE, { ...host, runtime }).map((r) => [r.what, [r.original, r.replay, r.same]]));

describe("compareEnvironments: the runtime lines", () => {
  it("shows a Python run's interpreter, key packages, torch CUDA/cuDNN and thread settings, from the image and the container", () => {
    const rows = rowsOf(pythonRun, runtimeAtReplay(image, { OMP_NUM_THREADS: "1" }));
    expect(rows).toMatchObject({
      python: ["3.11.2", "3.11.2", true],
      numpy: ["1.24.2", "1.24.2", true],
      "scikit-learn": ["1.2.1", "1.2.1", true],
      torch: ["2.11.0+cu130", "2.11.0+cu130", true],
      "torch cuda": ["13.0", "13.0", true],
      "torch cudnn": ["9.19.0.56", "9.19.0.56", true],
      OMP_NUM_THREADS: ["1", "1", true], // the container's variable over the image's
      MKL_NUM_THREADS: ["unset", "4", false], // the image's own ENV, which the record never had
      OPENBLAS_NUM_THREADS: ["unset", "unset", true],
    });
    expect(rows).not.toHaveProperty("requests"); // not a key numeric package
    expect(rows).not.toHaveProperty("pandas"); // on neither side
    expect(rows).not.toHaveProperty("node");
  });

  it("marks a package the image lacks or holds at another version", () => {
    const rows = rowsOf(pythonRun, runtimeAtReplay({ ...image, packages: { numpy: "2.0.0", scipy: "1.10.1" } }, {}));
    expect(rows).toMatchObject({
      numpy: ["1.24.2", "2.0.0", false],
      scipy: ["absent", "1.10.1", false],
      "scikit-learn": ["1.2.1", "absent", false],
      "torch cudnn": ["9.19.0.56", "none", false],
    });
  });

  it("shows a Node run's node and the digest of each lockfile in the image", () => {
    const run = runManifest({
      runtimes: { node: "20.20.2" },
      dependencies: {
        lockfiles: [{ path: "package-lock.json", sizeBytes: 1, sha256: "b".repeat(64), copy: "lock/package-lock.json" }],
        nodeModules: { available: false, reason: "none" },
      },
    });
    const rows = rowsOf(
      run,
      runtimeAtReplay({ ...image, python: null, node: "20.20.2", lockfiles: { "package-lock.json": "c".repeat(64) } }, {}),
    );
    expect(rows).toMatchObject({
      node: ["20.20.2", "20.20.2", true],
      "lockfile package-lock.json": ["bbbbbbbbbbbb", "cccccccccccc", false],
    });
    expect(rows).not.toHaveProperty("python");
  });

  it("says why there are no image facts (a bundle packed before they were recorded), and adds nothing for a plain program", () => {
    expect(rowsOf(pythonRun, runtimeAtReplay(undefined, {})).python).toEqual([
      "3.11.2",
      expect.stringMatching(/^not probed \(the bundle holds no facts/),
      false,
    ]);
    const plain = runManifest({ command: { argv: ["./run.sh"], redactedArgs: [], shell: false, cwd: "." } });
    expect(runtimeOfRun(plain)).toBeNull();
    expect(compareEnvironments(plain, IMAGE, { ...host, runtime: runtimeAtReplay(image, {}) }).map((r) => r.what)).not.toContain("python");
  });
});

describe("parseImageRuntime (the image's output is untrusted)", () => {
  it.each([
    ["not JSON", "Traceback ..."],
    ["an array", "[1, 2]"],
    ["empty", ""],
  ])("gives null for %s", (_what, text) => expect(parseImageRuntime(text)).toBeNull());

  it("keeps only strings, cut short, from the last line", () => {
    const parsed = parseImageRuntime(
      `noise\n${JSON.stringify({ python: 3, packages: { numpy: "1", evil: { a: 1 } }, env: { X: "y".repeat(500) } })}`,
    );
    expect(parsed).toMatchObject({ python: null, packages: { numpy: "1" }, torch: null });
    expect(parsed!.packages).not.toHaveProperty("evil");
    expect(parsed!.env["X"]).toHaveLength(200);
  });
});

describe.skipIf(!existsSync("/usr/bin/python3"))("the probe scripts, run for real", () => {
  let site: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    site = await tempDir("mlx-site-");
    // A torch whose import would fail: the probe must read version.py as text, never import it.
    writeFiles(site.path, {
      "lib/torch/__init__.py": "raise SystemExit('torch was imported')\n",
      "lib/torch/version.py": "from typing import Optional\n__version__ = '2.11.0+cu130'\ncuda: Optional[str] = '13.0'\n",
      "app/json.py": "raise SystemExit('the code shadowed json')\n",
    });
  });
  afterAll(async () => site?.[Symbol.asyncDispose]());

  it("python: the version, torch's build without importing it, numpy when installed, the thread variables", () => {
    const argv = runtimeProbeArgv({ kind: "python", interpreter: "/usr/bin/python3", lockfiles: [], appDir: "/app" });
    const out = execFileSync(argv[0]!, argv.slice(1), {
      cwd: `${site.path}/app`,
      encoding: "utf8",
      env: { PYTHONPATH: `${site.path}/lib`, OMP_NUM_THREADS: "2" },
    });
    const facts = parseImageRuntime(out)!;
    expect(facts.python).toBe(
      execFileSync("/usr/bin/python3", ["-c", "import platform; print(platform.python_version())"]).toString().trim(),
    );
    expect(facts.torch).toEqual({ version: "2.11.0+cu130", cuda: "13.0" });
    expect(facts.env).toMatchObject({ OMP_NUM_THREADS: "2", MKL_NUM_THREADS: null });
    const numpy = execFileSync("/usr/bin/python3", ["-c", "import numpy; print(numpy.__version__)"], {
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .trim();
    if (numpy) expect(facts.packages["numpy"]).toBe(numpy);
  });

  it("node: the version and each lockfile's sha256 (null when absent)", () => {
    writeFiles(site.path, { "package-lock.json": "{}\n" });
    const argv = runtimeProbeArgv({
      kind: "node",
      interpreter: process.execPath,
      lockfiles: ["package-lock.json", "gone.lock"],
      appDir: site.path,
    });
    const facts = parseImageRuntime(execFileSync(argv[0]!, argv.slice(1), { encoding: "utf8" }))!;
    expect(facts.node).toBe(process.versions.node);
    expect(facts.lockfiles).toEqual({
      "package-lock.json": "ca3d163bab055381827226140568f3bef7eaac187cebd76878e0b63e9e442356",
      "gone.lock": null,
    });
  });
});
