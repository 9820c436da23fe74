import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Probed, PythonInfo } from "../record/types.js";
import { parseDpkgSearch, parsePythonImports, parseTorchVersion, probePython, probeTorch, withImported } from "./probe-python.js";

const H200_TORCH_VERSION = new URL("../../test/fixtures/python/torch-version-h200.py", import.meta.url);
const context = { cwd: process.cwd(), env: { PATH: "/usr/bin:/bin" }, timeoutMs: 20_000 };

describe("parseTorchVersion", () => {
  it("reads torch 2.11's version.py from an H200 machine", async () => {
    expect(parseTorchVersion(await readFile(H200_TORCH_VERSION, "utf8"))).toEqual({
      version: "2.11.0+cu130",
      cuda: "13.0",
      cudnn: null,
      gitVersion: "70d99e998b4955e0049d13a98d77ae1b14db1f45",
    });
  });

  it.each([
    ["a CPU build", "__version__ = '1.13.1'\ncuda: Optional[str] = None\n", { version: "1.13.1", cuda: null, cudnn: null }],
    ["double quotes, no annotation", '__version__ = "2.1.0"\ncuda = "12.1"\n', { version: "2.1.0", cuda: "12.1", cudnn: null }],
    [
      "an older file naming cudnn",
      "__version__ = '1.4.0'\ncuda = '10.1'\ncudnn = '7603'\n",
      { version: "1.4.0", cuda: "10.1", cudnn: "7603" },
    ],
    ["no assignments", "# empty\n", { cuda: null, cudnn: null }],
  ])("%s", (_name, text, expected) => {
    expect(parseTorchVersion(text)).toEqual(expected);
  });
});

describe("parseDpkgSearch", () => {
  it.each([
    [
      "one owner",
      "python3-numpy: /usr/lib/python3/dist-packages/numpy-1.24.2.egg-info\n",
      { "/usr/lib/python3/dist-packages/numpy-1.24.2.egg-info": "python3-numpy" },
    ],
    ["an arch-qualified owner", "python3.11-minimal:amd64: /usr/bin/python3.11\n", { "/usr/bin/python3.11": "python3.11-minimal" }],
    ["shared folders take the first owner", "python3-a, python3-b: /usr/lib/x\n", { "/usr/lib/x": "python3-a" }],
    ["diversions are not owners", "diversion by foo from: /usr/bin/x\n", {}],
  ])("%s", (_name, text, expected) => {
    expect(Object.fromEntries(parseDpkgSearch(text))).toEqual(expected);
  });
});

describe("probeTorch", () => {
  it("takes cuDNN from the nvidia-cudnn-cu* distribution, and the rest from torch/version.py", async () => {
    const site = await mkdtemp(join(tmpdir(), "mlx-torch-"));
    try {
      await mkdir(join(site, "torch"));
      await copyFile(H200_TORCH_VERSION, join(site, "torch", "version.py"));
      const d = (name: string, version: string) => ({
        name,
        version,
        location: site,
        files: 1,
        fingerprint: "0".repeat(64),
        metadataPath: null,
      });
      expect(await probeTorch([d("torch", "2.11.0+cu130"), d("nvidia-cudnn-cu13", "9.19.0.56")])).toEqual({
        version: "2.11.0+cu130",
        cuda: "13.0",
        cudnn: "9.19.0.56",
        gitVersion: "70d99e998b4955e0049d13a98d77ae1b14db1f45",
      });
      expect(await probeTorch([d("numpy", "1.24.2")])).toBeUndefined();
    } finally {
      await rm(site, { recursive: true, force: true });
    }
  });
});

describe("probePython (Debian's python3)", () => {
  it("records a system interpreter, its Debian package and the owners of numpy and scikit-learn", async () => {
    const info = await probePython({ ...context, argv: ["/usr/bin/python3", "-c", "pass"], shell: false });
    expect(info).toMatchObject({ executable: "/usr/bin/python3", implementation: "CPython", environment: "system", prefix: "/usr" });
    expect(info.interpreterPackage?.package).toMatch(/^python3\.\d+-minimal$/);
    const numpy = info.distributions.find((d) => d.name === "numpy");
    expect(numpy?.debian).toEqual({ package: "python3-numpy", version: expect.stringMatching(/^1:1\.\d+/) });
    expect(info.distributions.find((d) => d.name === "scikit-learn")?.debian?.package).toBe("python3-sklearn");
  });

  it("refuses a command that is not Python", async () => {
    await expect(probePython({ ...context, argv: ["node", "-e", "0"], shell: false })).rejects.toThrow("not a Python command");
  });
});

describe("parsePythonImports", () => {
  const line = (top: boolean, distributions: string[]): string => JSON.stringify({ pid: 1, top, modules: [], distributions });
  it.each([
    ["the run's one process", [line(true, ["scipy", "numpy"])], ["numpy", "scipy"]],
    ["workers beside it: the union", [line(false, ["torch"]), line(true, ["numpy"]), line(false, ["numpy"])], ["numpy", "torch"]],
    ["only workers (the first Python was killed): not known", [line(false, ["numpy"])], null],
    ["nothing imported from a site folder", [line(true, [])], []],
    ["a line cut short, and other junk, skipped", ['{"top": true, "distrib', "null", "[]", line(true, ["numpy"])], ["numpy"]],
    ["no line at all", [""], null],
  ])("%s", (_, lines, expected) => {
    expect(parsePythonImports(lines.join("\n") + "\n")).toEqual(expected);
  });
});

describe("withImported", () => {
  const d = (name: string) => ({ name, version: "1", location: "/usr/lib/python3/dist-packages", fingerprint: "f".repeat(64), files: 1 });
  const python: Probed<PythonInfo> = {
    available: true,
    executable: "/usr/bin/python3",
    version: "3.11.2",
    implementation: "CPython",
    environment: "system",
    prefix: "/usr",
    basePrefix: "/usr",
    siteFolders: [],
    distributions: [d("scikit-learn"), d("numpy"), d("PyJWT"), d("zope.interface")],
  };

  it("names the recorded distributions the list names, matched as pip matches names, sorted", () => {
    const marked = withImported(python, ["numpy", "scikit_learn", "pyjwt", "zope-interface", "not-recorded"]);
    expect(marked.available && marked.imported).toEqual(["PyJWT", "numpy", "scikit-learn", "zope.interface"]);
  });

  it("leaves the record as it was when the list is not known, or the run has no Python facts", () => {
    expect(withImported(python, null)).toBe(python);
    const none = { available: false as const, reason: "not a Python command" };
    expect(withImported(none, ["numpy"])).toBe(none);
  });
});
