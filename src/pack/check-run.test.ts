import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import type { GitInfo, RunManifest } from "../record/types.js";
import { checkRunIsPackable, checkSameCode, codeKey, defaultBaseImage } from "./check-run.js";
import { runManifest } from "../../test/helpers/records.js";

const GIT: GitInfo = { commit: "b".repeat(40), branch: "main", remote: null, dirty: false, patch: null, excluded: [] };

function run(over: Partial<RunManifest> = {}): RunManifest {
  return runManifest({
    runtimes: { node: "20.20.2" },
    git: { available: true, ...GIT },
    outcome: { exitCode: 0, signal: null, source: "child", endedAt: "2026-11-23T15:07:53.000Z", durationMs: 1000, notes: [] },
    ...over,
  });
}

const failed = { status: "failed" as const, outcome: { ...run().outcome!, exitCode: 4 } };

describe("checkRunIsPackable", () => {
  it.each([
    ["a run that succeeded", run(), false],
    ["a failed run with --allow-failed", run(failed), true],
    ["an interrupted run with --allow-failed", run({ status: "interrupted" }), true],
  ])("packs %s and hands back its code state", (_, manifest, allowFailed) => {
    expect(checkRunIsPackable(manifest, allowFailed)).toMatchObject(GIT);
  });

  it.each([
    ["a failed run", run(failed), false, "run 20261123-150752-000-1a2b3c is failed (exit 4)", /--allow-failed/],
    ["a run still running", run({ status: "running", outcome: undefined }), false, "never finished (exit -)", /--allow-failed/],
    [
      "a run outside git",
      run({ git: { available: false, reason: "not a git repository" } }),
      false,
      "no code state: not a git repository",
      /git/,
    ],
    ["a run with git never probed", run({ git: undefined }), false, "no code state: git was not probed", /git repository/],
    ["a failed run outside git, even allowed", run({ ...failed, git: { available: false, reason: "x" } }), true, "no code state", /git/],
    [
      "a run through a shell",
      run({ command: { argv: ["echo hi"], redactedArgs: [], shell: true, cwd: "." } }),
      false,
      "(--shell)",
      /without --shell/,
    ],
  ])("refuses %s with exit 2 and a next step", (_, manifest, allowFailed, message, hint) => {
    const error = catchError(() => checkRunIsPackable(manifest, allowFailed));
    expect(error).toBeInstanceOf(BadInputError);
    expect(error.message).toContain(message);
    expect(error.hint).toMatch(hint);
  });
});

describe("defaultBaseImage", () => {
  it.each([
    ["20.20.2", "node:20.20.2-bookworm-slim"],
    ["22.1.0", "node:22.1.0-bookworm-slim"],
  ])("pins node %s to %s", (node, image) => {
    expect(defaultBaseImage(run({ runtimes: { node } }))).toBe(image);
  });

  it.each([
    ["no runtimes", run({ runtimes: undefined })],
    ["no node among them", run({ runtimes: { python: "3.12.1" } })],
  ])("asks for --base-image when the run recorded %s", (_, manifest) => {
    const error = catchError(() => defaultBaseImage(manifest));
    expect(error.message).toBe("run 20261123-150752-000-1a2b3c recorded no node version to pin the base image to");
    expect(error.hint).toMatch(/--base-image/);
  });
});

describe("checkSameCode", () => {
  const patch = { file: "patch.diff", sha256: "d".repeat(64), sizeBytes: 10 };
  const best = run();
  it.each([
    ["the same clean commit", [run({ id: "t1" }), run({ id: "t2" })], null],
    ["no trials but the best", [best], null],
    [
      "another commit",
      [run({ id: "t1" }), run({ id: "t2", git: { available: true, ...GIT, commit: "c".repeat(40) } })],
      "trial run t2 ran other code",
    ],
    ["the same commit with a patch", [run({ id: "t3", git: { available: true, ...GIT, patch } })], `(${"b".repeat(40)} ${"d".repeat(64)})`],
    ["a trial without git", [run({ id: "t4", git: { available: false, reason: "x" } })], "(no git) than the best trial"],
  ])("%s", (_, trials, message) => {
    if (message === null) return expect(() => checkSameCode(best, trials)).not.toThrow();
    const error = catchError(() => checkSameCode(best, trials));
    expect(error.message).toContain(message);
    expect(error.hint).toMatch(/pack the trials separately/);
  });

  it.each([
    [run(), `${"b".repeat(40)} clean`],
    [run({ git: { available: true, ...GIT, commit: null, patch } }), `null ${"d".repeat(64)}`],
    [run({ git: { available: false, reason: "x" } }), "no git"],
  ])("keys a run's code as %#", (manifest, key) => {
    expect(codeKey(manifest)).toBe(key);
  });
});

function catchError(fn: () => unknown): BadInputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BadInputError) return error;
    throw error;
  }
  throw new Error("expected a BadInputError, nothing was thrown");
}
