import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readRun, resolveRunId, writeRun } from "./run-store.js";
import { createRunFolder } from "./run-folder.js";
import type { RunManifest } from "./types.js";
import { validateRun } from "./validate.js";

export function sampleRun(over: Partial<RunManifest> = {}): RunManifest {
  return {
    apiVersion: "mlx/v1",
    kind: "Run",
    id: "20261123-150752-1a2b3c",
    tags: ["t"],
    status: "succeeded",
    createdAt: "2026-11-23T15:07:52.000Z",
    mlxVersion: "0.1.0",
    command: { argv: ["node", "train.js"], redactedArgs: [], shell: false, cwd: "examples/iris", pid: 12 },
    params: { lr: 0.1 },
    seed: { value: 42, source: "given", preload: true },
    env: { vars: { NODE_ENV: "test" }, refused: ["HF_TOKEN"] },
    system: {
      available: true,
      os: "Linux",
      distro: "Debian",
      release: "6.1",
      kernel: "#1",
      arch: "x64",
      cpu: { model: "EPYC", cores: 2 },
      memoryBytes: 1024,
    },
    gpus: { available: false, reason: "nvidia-smi not found" },
    runtimes: { node: "20.20.2", missing: { python: "not found on PATH" } },
    dependencies: { lockfiles: [], nodeModules: { available: true, count: 3, fingerprint: "a".repeat(64), source: "node_modules" } },
    git: { available: true, commit: "b".repeat(40), branch: "main", remote: null, dirty: false, patch: null, excluded: [] },
    inputs: [{ path: "data/x.csv", kind: "file", sizeBytes: 3, sha256: "c".repeat(64) }],
    outputs: [],
    outcome: { exitCode: 0, signal: null, source: "child", endedAt: "2026-11-23T15:07:53.000Z", durationMs: 1000, notes: [] },
    logs: { stdout: "logs/stdout.log", stderr: "logs/stderr.log" },
    metrics: { final: { loss: 0.5, acc: "NaN" }, series: "metrics.jsonl", points: 2, files: [] },
    warnings: [],
    ...over,
  };
}

describe("validateRun", () => {
  it("accepts a complete record", () => {
    expect(validateRun(sampleRun(), "m.yaml").id).toBe("20261123-150752-1a2b3c");
  });

  it.each([
    ["a misspelt kind", { kind: "Rnu" }, /\/kind must be equal to constant/],
    ["an unknown field", { foo: 1 }, /\/ must NOT have additional properties 'foo'/],
    ["an unknown status", { status: "done" }, /\/status must be equal to one of the allowed values: running/],
    ["a seed out of range", { seed: { value: 2 ** 32, source: "given", preload: true } }, /\/seed\/value/],
    ["an input path with ..", { inputs: [{ path: "../x", kind: "file", sizeBytes: 1, sha256: "c".repeat(64) }] }, /\/inputs\/0\/path/],
    ["an absolute cwd", { command: { argv: ["x"], redactedArgs: [], shell: false, cwd: "/etc" } }, /\/command\/cwd/],
  ])("refuses %s, naming the JSON pointer", (_, over, message) => {
    expect(() => validateRun({ ...sampleRun(), ...over }, "m.yaml")).toThrow(message);
  });

  it("refuses a record without argv", () => {
    const run = sampleRun();
    const { argv: _argv, ...command } = run.command;
    expect(() => validateRun({ ...run, command }, "m.yaml")).toThrow(/\/command must have required property 'argv'/);
  });

  it("says to upgrade for a newer apiVersion", () => {
    expect(() => validateRun({ ...sampleRun(), apiVersion: "mlx/v9" }, "m.yaml")).toThrow(/mlx\/v9 is not understood/);
  });
});

describe("run store", () => {
  let root: string;
  beforeEach(async () => void (root = await mkdtemp(join(tmpdir(), "mlx-store-"))));
  afterEach(async () => rm(root, { recursive: true, force: true }));

  it("writes and reads back the same record", async () => {
    const folder = await createRunFolder(root, "20261123-150752-1a2b3c");
    await writeRun(folder, sampleRun());
    expect(await readRun(folder)).toEqual(sampleRun());
  });

  it("never writes an invalid record, and keeps the previous one", async () => {
    const folder = await createRunFolder(root, "20261123-150752-1a2b3c");
    await writeRun(folder, sampleRun());
    const before = await readFile(join(folder, "manifest.yaml"), "utf8");
    await expect(writeRun(folder, { ...sampleRun(), status: "nope" as never })).rejects.toThrow(/status/);
    expect(await readFile(join(folder, "manifest.yaml"), "utf8")).toBe(before);
  });

  it("refuses to read a hand-edited record, naming file and field", async () => {
    const folder = await createRunFolder(root, "20261123-150752-1a2b3c");
    await writeRun(folder, sampleRun());
    const path = join(folder, "manifest.yaml");
    await writeFile(path, (await readFile(path, "utf8")).replace("kind: Run", "kind: Rnu"));
    await expect(readRun(folder)).rejects.toThrow(/manifest\.yaml is invalid: \/kind/);
  });

  it("resolves latest, exact ids and unique prefixes; lists recent ids otherwise", async () => {
    await createRunFolder(root, "20261123-100000-aaaaaa");
    await createRunFolder(root, "20261123-110000-bbbbbb");
    expect(await resolveRunId(root, "latest")).toBe("20261123-110000-bbbbbb");
    expect(await resolveRunId(root, "20261123-10")).toBe("20261123-100000-aaaaaa");
    await expect(resolveRunId(root, "20261123")).rejects.toThrow(/matches 2 runs/);
    await expect(resolveRunId(root, "nope")).rejects.toThrow(/no run 'nope'/);
  });
});

describe("newRunId", () => {
  it("sorts by time to the millisecond, whatever the random part", async () => {
    const { newRunId } = await import("./run-folder.js");
    const ids = [0, 1, 2, 999, 1000].map((ms) => newRunId(new Date(Date.UTC(2026, 10, 23, 15, 7, 52) + ms)));
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^20261123-150752-000-[0-9a-f]{6}$/);
    expect(() => validateRun(sampleRun({ id: ids[0]! }), "m")).not.toThrow();
  });
});
