import { describe, expect, it } from "vitest";
import { runManifest } from "../../test/helpers/records.js";
import { DEFAULT_TOLERANCE } from "../metrics/compare-metrics.js";
import { type DiffSide, diffRuns, environmentOf } from "./diff-runs.js";
import { comparePackages, parseLockfilePackages } from "./package-changes.js";
import { comparePatches, parsePatch } from "./patch-summary.js";

function side(over: Partial<DiffSide> = {}): DiffSide {
  const run = over.run ?? runManifest();
  return {
    label: `run ${run.id}`,
    kind: "run",
    run,
    patch: null,
    npmPackages: null,
    environment: environmentOf(run),
    final: {},
    series: [],
    exitCode: 0,
    ...over,
  };
}

const point = (name: string, step: number, value: number) => ({ name, step, value, time: 0, source: "stdout" as const });

describe("diffRuns", () => {
  it("finds nothing between a run and itself", () => {
    const a = side({ final: { acc: 0.9 }, series: [point("loss", 0, 1), point("loss", 1, 0.5)] });
    const d = diffRuns(a, a, DEFAULT_TOLERANCE);
    expect(d.differs).toBe(false);
    expect(d.rows.every((r) => r.same)).toBe(true);
  });

  it.each<[string, Partial<DiffSide>, string]>([
    ["params", { run: runManifest({ params: { lr: 0.2 } }) }, "params lr"],
    ["seed", { run: runManifest({ params: { lr: 0.1 }, seed: { value: 7, source: "given", preload: true } }) }, "seed seed"],
    [
      "argv",
      { run: runManifest({ params: { lr: 0.1 }, command: { argv: ["node", "other.js"], redactedArgs: [], shell: false, cwd: "." } }) },
      "command argv",
    ],
    ["exit code", { exitCode: 1 }, "outcome exit code"],
    ["an npm package", { npmPackages: new Map([["a", "2.0.0"]]) }, "dependencies npm a"],
  ])("counts a different %s", (_what, over, row) => {
    const a = side({ run: runManifest({ params: { lr: 0.1 } }), npmPackages: new Map([["a", "1.0.0"]]) });
    const b = side({ run: runManifest({ params: { lr: 0.1 } }), npmPackages: new Map([["a", "1.0.0"]]), ...over });
    const d = diffRuns(a, b, DEFAULT_TOLERANCE);
    expect(d.differs).toBe(true);
    expect(d.rows.filter((r) => !r.same).map((r) => `${r.section} ${r.what}`)).toEqual([row]);
  });

  it("shows the environment side by side but does not count it, as replay's drift", () => {
    const d = diffRuns(side({ environment: { cpu: "A" } }), side({ environment: { cpu: "B" } }), DEFAULT_TOLERANCE);
    expect(d.rows).toContainEqual({ section: "environment", what: "cpu", a: "A", b: "B", same: false });
    expect(d.differs).toBe(false);
  });

  it("compares final metrics with replay's tolerance logic: floats within rtol, integers exact unless a tolerance is given", () => {
    const a = side({ final: { acc: 0.9, steps: 10 } });
    const b = side({ final: { acc: 0.9 + 1e-9, steps: 11 } });
    const d = diffRuns(a, b, DEFAULT_TOLERANCE);
    expect(d.metrics.map((m) => [m.name, m.verdict])).toEqual([
      ["acc", "within"],
      ["steps", "diverged"],
    ]);
    expect(d.differs).toBe(true);
    expect(diffRuns(a, b, { ...DEFAULT_TOLERANCE, atol: 1, explicit: true }).differs).toBe(false);
  });

  it("uses the first run's recorded per-metric tolerance", () => {
    const a = side({ run: runManifest({ tolerances: { acc: { atol: 0.1 } } }), final: { acc: 0.9 } });
    const b = side({ final: { acc: 0.95 } });
    expect(diffRuns(a, b, DEFAULT_TOLERANCE).differs).toBe(false);
  });

  it("names the first step where a series parts", () => {
    const a = side({ series: [point("loss", 0, 1), point("loss", 1, 0.5), point("loss", 2, 0.25)] });
    const b = side({ series: [point("loss", 0, 1), point("loss", 1, 0.6), point("loss", 2, 0.3)] });
    const d = diffRuns(a, b, DEFAULT_TOLERANCE);
    expect(d.series).toEqual([{ name: "loss", step: 1, original: 0.5, replay: 0.6 }]);
    expect(d.differs).toBe(true);
  });

  it("compares the Python distributions of two runs", () => {
    const py = (version: string) =>
      runManifest({
        python: {
          available: true,
          executable: "/usr/bin/python3",
          version: "3.11.2",
          implementation: "CPython",
          environment: "venv",
          prefix: "/v",
          basePrefix: "/usr",
          siteFolders: [],
          distributions: [{ name: "numpy", version, location: "/v/site", fingerprint: "0".repeat(64), files: 1 }],
        },
      });
    const d = diffRuns(side({ run: py("1.26.0") }), side({ run: py("2.0.0") }), DEFAULT_TOLERANCE);
    expect(d.rows.filter((r) => !r.same)).toEqual([
      { section: "dependencies", what: "python numpy", a: "1.26.0", b: "2.0.0", same: false },
    ]);
  });
});

describe("patches", () => {
  const patch = (body: string) => `diff --git a/train.js b/train.js\nindex 1..2 100644\n--- a/train.js\n+++ b/train.js\n${body}`;
  it("counts added and removed lines per file, not the --- and +++ headers", () => {
    expect(parsePatch(patch("@@ -1 +1,2 @@\n-a\n+b\n+c\n")).get("train.js")).toMatchObject({ added: 2, removed: 1 });
  });

  it.each([
    ["the same change", "@@\n+x\n", "@@\n+x\n", []],
    ["a different change", "@@\n+x\n", "@@\n+y\n+z\n", [{ path: "train.js", a: { added: 1, removed: 0 }, b: { added: 2, removed: 0 } }]],
    ["a change on one side", "@@\n+x\n", null, [{ path: "train.js", a: { added: 1, removed: 0 }, b: null }]],
  ])("lists %s", (_what, a, b, expected) => {
    const pa = parsePatch(patch(a));
    const pb = b === null ? new Map() : parsePatch(patch(b));
    expect(comparePatches(pa, pb)).toEqual(expected);
  });
});

describe("lockfile packages", () => {
  it("reads a v3 packages map, nested copies by their path, and lists what changed", () => {
    const a = parseLockfilePackages({
      lockfileVersion: 3,
      packages: { "": { name: "app" }, "node_modules/x": { version: "1.0.0" }, "node_modules/y": { version: "1.0.0" } },
    });
    const b = parseLockfilePackages({
      lockfileVersion: 3,
      packages: {
        "": { name: "app" },
        "node_modules/x": { version: "1.1.0" },
        "node_modules/z": { version: "3.0.0" },
        "node_modules/z/node_modules/x": { version: "0.9.0" },
      },
    });
    expect(comparePackages(a, b)).toEqual([
      { name: "x", a: "1.0.0", b: "1.1.0" },
      { name: "y", a: "1.0.0", b: null },
      { name: "z", a: null, b: "3.0.0" },
      { name: "z/node_modules/x", a: null, b: "0.9.0" },
    ]);
  });

  it.each([null, 3, {}, { packages: null }])("reads %j as no packages", (json) => {
    expect(parseLockfilePackages(json).size).toBe(0);
  });
});
