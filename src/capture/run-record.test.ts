import { describe, expect, it } from "vitest";
import { validateRun } from "../record/validate.js";
import type { CaptureOptions } from "./capture-options.js";
import type { Probes } from "./capture-probes.js";
import { finalExitCode, finishRunManifest, spawnMessage, startRunManifest, statusOf } from "./run-record.js";
import type { ChildResult } from "./runner.js";

const ended = (over: Partial<ChildResult>): ChildResult => ({ exitCode: 0, signal: null, endedAt: 0, notes: [], ...over });
const spawnError = (code: string, isDirectory = false): ChildResult["spawnError"] =>
  Object.assign(new Error(`spawn x ${code}`), { code, isDirectory });

describe("the outcome of a command", () => {
  it.each<[string, Partial<ChildResult>, string, number]>([
    ["exit 0", {}, "succeeded", 0],
    ["exit 3", { exitCode: 3 }, "failed", 3],
    ["SIGSEGV", { exitCode: null, signal: "SIGSEGV" }, "failed", 139],
    ["interrupted, ended by the signal", { exitCode: null, signal: "SIGINT", interruptedBy: "SIGINT" }, "interrupted", 130],
    ["interrupted, exit 0 all the same", { interruptedBy: "SIGTERM" }, "interrupted", 143],
    ["interrupted, exit 2 of its own", { exitCode: 2, interruptedBy: "SIGTERM" }, "interrupted", 2],
    ["not found", { exitCode: null, spawnError: spawnError("ENOENT") }, "not-found", 127],
    ["not executable", { exitCode: null, spawnError: spawnError("EACCES") }, "not-executable", 126],
  ])("%s: status %s, exit code %d", (_name, over, status, code) => {
    expect(statusOf(ended(over))).toBe(status);
    expect(finalExitCode(ended(over))).toBe(code);
  });

  it.each<[string, ChildResult["spawnError"], string, string]>([
    ["a bare name not on PATH", spawnError("ENOENT"), "train", "command not found: train (searched PATH)"],
    ["a path that does not exist", spawnError("ENOENT"), "./train.sh", "command not found: ./train.sh (no such file)"],
    ["a directory", spawnError("EACCES", true), "./src", "cannot execute ./src: it is a directory (EISDIR)"],
    [
      "a file without x",
      spawnError("EACCES"),
      "./t.sh",
      "cannot execute ./t.sh: EACCES (permission denied). Make it executable: chmod +x ./t.sh",
    ],
  ])("says why %s could not start", (_name, error, command, message) => {
    expect(spawnMessage(ended({ exitCode: null, spawnError: error }), command)).toBe(message);
  });
});

describe("the run record", () => {
  const options: CaptureOptions = {
    argv: ["node", "train.js", "--token=abc123"],
    shell: false,
    cwd: "/w",
    tags: ["t"],
    params: { lr: 0.1 },
    seedPreload: true,
    inputs: [],
    outputs: [],
    metricFiles: [],
    envAllow: ["PATH"],
    metricPattern: null,
    maxUntrackedBytes: 1024,
    includeSecretFiles: false,
    tolerances: {},
    json: false,
    drainTimeoutMs: 1000,
    killGraceMs: 1000,
  };
  const createdAt = new Date("2026-01-02T03:04:05.000Z");
  const started = startRunManifest(options, {
    id: "r1",
    createdAt,
    seed: 7,
    cwdRel: ".",
    pid: 42,
    env: { PATH: "/bin", AWS_SECRET_ACCESS_KEY: "x" },
    mlxVersion: "0.0.0",
  });
  const probes: Probes = {
    system: { available: false, reason: "test" },
    gpus: { available: false, reason: "test" },
    git: { available: false, reason: "test" },
    runtimes: {},
    dependencies: { lockfiles: [], nodeModules: { available: false, reason: "test" } },
    inputs: [],
    warnings: ["probe warning"],
  };

  it("starts valid, running, with the secret in the command line redacted", () => {
    expect(validateRun(started, "started")).toEqual(started);
    expect(started).toMatchObject({ status: "running", command: { pid: 42, cwd: "." }, seed: { value: 7, source: "drawn" } });
    expect(JSON.stringify(started)).not.toContain("abc123");
  });

  it("ends valid, with the outcome, and every warning in order: outputs, probes, metrics, the first write", () => {
    const finished = finishRunManifest(started, options, {
      result: ended({ exitCode: 1, endedAt: createdAt.getTime() + 1500, notes: ["a note"] }),
      probes,
      metrics: { final: { loss: 0.5 }, points: 1, warnings: ["metrics warning"] },
      outputs: { hashed: [], warnings: ["output warning"] },
      recordErrors: ["ENOSPC"],
    });
    expect(validateRun(finished, "finished")).toEqual(finished);
    expect(finished.outcome).toEqual({
      exitCode: 1,
      signal: null,
      source: "child",
      endedAt: "2026-01-02T03:04:06.500Z",
      durationMs: 1500,
      notes: ["a note"],
    });
    expect(finished.warnings).toEqual(["output warning", "probe warning", "metrics warning", "first record write failed: ENOSPC"]);
    expect(started.status).toBe("running"); // the first record is left as it was
  });
});
