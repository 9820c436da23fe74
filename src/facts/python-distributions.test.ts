import { describe, expect, it } from "vitest";
import { readPythonDistributions, readPythonFacts, validatePythonFacts } from "./python-distributions.js";

// Debian's interpreter with python3-numpy (scripts/setup-python.sh); `python3` on PATH may be a pyenv shim.
const DEBIAN_PYTHON = "/usr/bin/python3";

const distribution = {
  name: "numpy",
  version: "1.24.2",
  location: "/usr/lib/python3/dist-packages",
  files: 3,
  fingerprint: "a".repeat(64),
};
const facts = {
  executable: "/usr/bin/python3",
  version: "3.11.2",
  implementation: "CPython",
  prefix: "/usr",
  basePrefix: "/usr",
  siteFolders: ["/usr/lib/python3/dist-packages"],
  distributions: [{ ...distribution, metadataPath: "/usr/lib/python3/dist-packages/numpy-1.24.2.egg-info" }],
};

describe("validatePythonFacts", () => {
  it("keeps a well-formed answer as it is", () => {
    expect(validatePythonFacts(facts)).toEqual(facts);
  });

  it("takes a missing metadata folder as null", () => {
    expect(validatePythonFacts({ ...facts, distributions: [distribution] }).distributions[0]!.metadataPath).toBeNull();
  });

  it.each([
    ["not an object", [], "the answer is not an object"],
    ["no distributions", { ...facts, distributions: undefined }, "distributions is not a list"],
    ["a site folder that is not text", { ...facts, siteFolders: [1] }, "siteFolders[0] is not a string"],
    ["a version that is not text", { ...facts, version: 3 }, "the answer.version is not a string"],
    ["a short fingerprint", { ...facts, distributions: [{ ...distribution, fingerprint: "abc" }] }, "distributions[0].fingerprint"],
    ["a negative file count", { ...facts, distributions: [{ ...distribution, files: -1 }] }, "distributions[0].files is not a count"],
  ])("refuses %s", (_name, value, message) => {
    expect(() => validatePythonFacts(value)).toThrow(message);
  });
});

describe("readPythonFacts (Debian's python3)", () => {
  it("reports the interpreter and numpy, a Debian egg-info distribution, with its files counted", async () => {
    const found = await readPythonFacts(DEBIAN_PYTHON);
    expect(found).toMatchObject({ implementation: "CPython", prefix: "/usr", basePrefix: "/usr" });
    expect(found.version).toMatch(/^3\.\d+\.\d+/);
    const numpy = found.distributions.find((d) => d.name === "numpy");
    expect(numpy?.files).toBeGreaterThan(100);
    expect(numpy?.metadataPath).toMatch(/numpy-[\d.]+\.(egg|dist)-info$/);
  });

  it("gives the same fingerprints twice, without the metadata folders, for pack to compare", async () => {
    const [first, second] = [await readPythonDistributions(DEBIAN_PYTHON), await readPythonDistributions(DEBIAN_PYTHON)];
    expect(first).toEqual(second);
    expect(first.length).toBeGreaterThan(0);
    expect(Object.keys(first[0]!).sort()).toEqual(["files", "fingerprint", "location", "name", "version"]);
  });

  it("fails with the interpreter's words when it is not Python", async () => {
    await expect(readPythonFacts("/bin/false")).rejects.toThrow("/bin/false");
  });
});
