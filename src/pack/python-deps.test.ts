import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { NOT_PYTHON } from "../facts/probe-python.js";
import type { PythonDistribution, PythonInfo, RunManifest } from "../record/types.js";
import { runManifest } from "../../test/helpers/records.js";
import { defaultBaseImage } from "./check-run.js";
import { baseImagePythonVersion, checkPythonPackable, compareDistributions, pythonPackWarnings, rewritePyvenvCfg } from "./python-deps.js";

const VENV = "/home/ada/proj/.venv";
const SITE = `${VENV}/lib/python3.11/site-packages`;
const DEBIAN_SITE = "/usr/lib/python3/dist-packages";

function dist(name: string, over: Partial<PythonDistribution> = {}): PythonDistribution {
  return { name, version: "1.0", location: SITE, fingerprint: "f".repeat(64), files: 3, ...over };
}

const numpy = dist("numpy", {
  version: "1.24.2",
  location: DEBIAN_SITE,
  debian: { package: "python3-numpy", version: "1:1.24.2-1+deb12u1" },
});

function python(over: Partial<PythonInfo> = {}): PythonInfo {
  return {
    executable: `${VENV}/bin/python`,
    version: "3.11.2",
    implementation: "CPython",
    environment: "venv",
    prefix: VENV,
    basePrefix: "/usr",
    siteFolders: [SITE],
    distributions: [dist("pip", { version: "23.0.1" }), dist("mypkg")],
    ...over,
  };
}

const system = python({
  executable: "/usr/bin/python3",
  environment: "system",
  prefix: "/usr",
  siteFolders: [DEBIAN_SITE],
  distributions: [numpy],
  interpreterPackage: { package: "python3.11", version: "3.11.2-6+deb12u6" },
});

function run(info: PythonInfo | undefined): RunManifest {
  return runManifest({ runtimes: { node: "20.20.2", python: "3.11.2" }, ...(info ? { python: { available: true, ...info } } : {}) });
}

function refusal(work: () => unknown): BadInputError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(BadInputError);
    return error as BadInputError;
  }
  throw new Error("it did not refuse");
}

describe("checkPythonPackable", () => {
  it("has nothing to say about a run without Python, or whose command is not Python", () => {
    expect(checkPythonPackable(run(undefined), "node:20.20.2-bookworm-slim")).toBeNull();
    const node = { ...run(undefined), python: { available: false as const, reason: NOT_PYTHON } };
    expect(checkPythonPackable(node, "node:20.20.2-bookworm-slim")).toBeNull();
  });

  it("copies a venv as installed, at its own path, with no Debian packages", () => {
    expect(checkPythonPackable(run(python()), "python:3.11.2-slim-bookworm")).toEqual({ version: "3.11.2", venv: VENV, debian: [] });
  });

  it("installs a system Python's python3* Debian packages, each once, sorted; not tools that ship a module", () => {
    const scipy = dist("scipy", { location: DEBIAN_SITE, debian: { package: "python3-scipy", version: "1.10.1-2" } });
    const twice = dist("numpy-extra", { location: DEBIAN_SITE, debian: numpy.debian! });
    const tool = dist("pycriu", { location: DEBIAN_SITE, debian: { package: "criu", version: "3.17.1-2" } });
    expect(checkPythonPackable(run({ ...system, distributions: [scipy, numpy, twice, tool] }), "python:3.11.2-slim-bookworm")).toEqual({
      version: "3.11.2",
      venv: null,
      debian: [
        { package: "python3-numpy", version: "1:1.24.2-1+deb12u1" },
        { package: "python3-scipy", version: "1.10.1-2" },
      ],
    });
  });

  it("installs the Debian owners of a venv's system-site distributions too", () => {
    const image = checkPythonPackable(run(python({ distributions: [dist("mypkg"), numpy] })), "python:3.11.2-slim-bookworm");
    expect(image?.debian).toEqual([numpy.debian]);
  });

  it("accepts a base image of the same minor version or one it cannot read a version from", () => {
    for (const base of ["python:3.11-slim-bookworm", "python:3.11.2-slim-bookworm@sha256:" + "a".repeat(64), "my/own:latest"])
      expect(checkPythonPackable(run(python()), base)).not.toBeNull();
  });

  it.each([
    [
      "a Python run whose interpreter was not recorded",
      { available: false as const, reason: "python3 did not start" },
      "not recorded (python3 did not start)",
      /capture the run again/,
    ],
    ["PyPy", { available: true as const, ...python({ implementation: "PyPy" }) }, "ran PyPy 3.11.2", /CPython/],
    [
      "a pyenv interpreter with no venv",
      { available: true as const, ...python({ environment: "other", executable: "/root/.pyenv/versions/3.11.2/bin/python" }) },
      "neither a virtual environment nor Debian's python3",
      /-m venv \.venv/,
    ],
    [
      "a system interpreter no Debian package owns",
      { available: true as const, ...system, interpreterPackage: undefined },
      "which no Debian package owns",
      /\/usr\/bin\/python3/,
    ],
    [
      "a venv under /tmp (replay mounts a fresh one)",
      { available: true as const, ...python({ prefix: "/tmp/x/.venv", distributions: [] }) },
      "is under /tmp",
      /somewhere else/,
    ],
    [
      "a venv path with a space",
      { available: true as const, ...python({ prefix: "/home/ada/my env", distributions: [] }) },
      "cannot carry",
      /letters, digits/,
    ],
    [
      "a system Python's pip-installed package",
      {
        available: true as const,
        ...system,
        distributions: [numpy, dist("requests", { version: "2.31.0", location: "/usr/local/lib/python3.11/dist-packages" })],
      },
      "requests 2.31.0 (/usr/local/lib/python3.11/dist-packages) is owned by no Debian package",
      /venv/,
    ],
    [
      "a venv's user-site package",
      {
        available: true as const,
        ...python({ distributions: [dist("tqdm", { location: "/home/ada/.local/lib/python3.11/site-packages" })] }),
      },
      "tqdm 1.0 (/home/ada/.local/lib/python3.11/site-packages) is outside the venv and owned by no Debian package",
      /into the venv/,
    ],
  ])("refuses %s with exit 2 and a next step", (_, recorded, message, hint) => {
    const error = refusal(() => checkPythonPackable({ ...run(undefined), python: recorded }, "python:3.11.2-slim-bookworm"));
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(message);
    expect(error.hint).toMatch(hint);
  });

  it("refuses a base image of another Python version, naming both", () => {
    const error = refusal(() => checkPythonPackable(run(python()), "python:3.12.1-slim-bookworm"));
    expect(error.message).toBe(
      "base image python:3.12.1-slim-bookworm holds Python 3.12.1, but the run used 3.11.2: its packages may not load there",
    );
    expect(error.hint).toContain("python:3.11.2-slim-bookworm");
  });
});

describe("checkPythonPackable with the list of what the run imported", () => {
  const scipy = dist("scipy", { location: DEBIAN_SITE, debian: { package: "python3-scipy", version: "1.10.1-2" } });
  const userSite = dist("requests", { version: "2.31.0", location: "/root/.local/lib/python3.11/site-packages" });

  it("installs only the Debian packages of imported distributions", () => {
    const image = checkPythonPackable(
      run({ ...system, distributions: [numpy, scipy], imported: ["numpy"] }),
      "python:3.11.2-slim-bookworm",
    );
    expect(image?.debian).toEqual([numpy.debian]);
  });

  it("accepts a pip --user package the run never imported, and still refuses one it did", () => {
    const unused = { ...system, distributions: [numpy, userSite], imported: ["numpy"] };
    expect(checkPythonPackable(run(unused), "python:3.11.2-slim-bookworm")?.debian).toEqual([numpy.debian]);
    const used = { ...unused, imported: ["numpy", "requests"] };
    expect(refusal(() => checkPythonPackable(run(used), "python:3.11.2-slim-bookworm")).message).toContain("requests 2.31.0");
  });
});

describe("pythonPackWarnings", () => {
  const image = (info: PythonInfo) => checkPythonPackable(run(info), "python:3.11.2-slim-bookworm");
  it.each([
    ["a system run with no list (killed before exit)", system, 1],
    ["a system run with its list", { ...system, imported: ["numpy"] }, 0],
    ["a system run that imported nothing installed", { ...system, imported: [] }, 0],
    ["a venv with no list and no Debian package (copied whole anyway)", python(), 0],
  ])("%s: %i warning(s)", (_, info, count) => {
    expect(pythonPackWarnings(run(info), image(info))).toHaveLength(count);
  });

  it("says why all the packages go in, how many, and what to do", () => {
    const [warning] = pythonPackWarnings(run(system), image(system));
    expect(warning).toMatch(/no list of the Python packages it imported \(it did not exit normally/);
    expect(warning).toContain("installs all 1 Debian packages");
    expect(warning).toContain("Capture it again");
  });

  it("has nothing to say about a run without Python", () => {
    expect(pythonPackWarnings(run(undefined), null)).toEqual([]);
  });
});

describe("baseImagePythonVersion", () => {
  it.each([
    ["python:3.11.2-slim-bookworm", "3.11.2"],
    ["python:3.11", "3.11"],
    ["docker.io/library/python:3.12.1-slim@sha256:" + "b".repeat(64), "3.12.1"],
    ["node:20.20.2-bookworm-slim", null],
    ["mypython:3.11.2", null],
    ["python:latest", null],
  ])("%s -> %s", (image, version) => expect(baseImagePythonVersion(image)).toBe(version));
});

describe("defaultBaseImage", () => {
  it("pins a Python run to python:<its version>-slim-bookworm, a node run to node", () => {
    expect(defaultBaseImage(run(python()))).toBe("python:3.11.2-slim-bookworm");
    expect(defaultBaseImage(run(undefined))).toBe("node:20.20.2-bookworm-slim");
  });
});

describe("compareDistributions", () => {
  const a = dist("Alpha", { version: "1.0" });
  const b = dist("beta_pkg", { version: "2.0" });
  it.each([
    ["nothing changed (names compared as pip does)", [a, b], [dist("alpha"), dist("Beta-Pkg", { version: "2.0" })], []],
    ["an edited file", [a, b], [a, { ...b, fingerprint: "e".repeat(64) }], ["beta_pkg 2.0 (edited)"]],
    ["a new version", [a], [{ ...a, version: "1.1" }], ["Alpha 1.0 -> 1.1"]],
    ["added and removed, sorted by name", [b], [a], ["Alpha 1.0 (added)", "beta_pkg 2.0 (removed)"]],
  ])("%s", (_, recorded, now, changes) => expect(compareDistributions(recorded, now)).toEqual(changes));
});

describe("rewritePyvenvCfg", () => {
  it("points home and executable at the image's interpreter folder and keeps the rest", () => {
    const host = [
      "home = /usr/bin",
      "include-system-site-packages = false",
      "version = 3.11.2",
      "executable = /usr/bin/python3.11",
      "command = /usr/bin/python3 -m venv /home/ada/proj/.venv",
      "",
    ].join("\n");
    expect(rewritePyvenvCfg(host, "/usr/local/bin", "3.11.2")).toBe(
      [
        "home = /usr/local/bin",
        "include-system-site-packages = false",
        "version = 3.11.2",
        "executable = /usr/local/bin/python3.11",
        "command = /usr/bin/python3 -m venv /home/ada/proj/.venv",
        "",
      ].join("\n"),
    );
  });
});
