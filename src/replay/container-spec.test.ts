import { describe, expect, it } from "vitest";
import type { RunManifest } from "../record/types.js";
import { type ContainerLimits, containerEnv, containerSpecFor, REPLAY_PIDS_LIMIT } from "./container-spec.js";
import { runManifest } from "../../test/helpers/records.js";

const limits: ContainerLimits = { network: false, cpus: 2, memoryBytes: 4 * 1024 ** 3, gpus: null, keep: false, timeoutMs: null };

describe("containerEnv", () => {
  const base = runManifest({ id: "r1", params: { lr: 0.1 }, seed: { value: 7, source: "given", preload: true } });
  it.each<[string, RunManifest, Record<string, string | undefined>]>([
    [
      "the seeds, params and run id of the record",
      base,
      { MLX_RUN_ID: "r1", MLX_SEED: "7", PYTHONHASHSEED: "7", MLX_PARAMS: '{"lr":0.1}', MLX_METRICS_FILE: "/mlx/sdk-metrics.jsonl" },
    ],
    [
      "HOME in the writable /tmp, over a recorded HOME",
      runManifest({ env: { vars: { HOME: "/home/me" }, refused: [] } }),
      { HOME: "/tmp" },
    ],
    ["the node preload when the run was seeded by it", base, { NODE_OPTIONS: '--require "/opt/mlx/preload.cjs"' }],
    ["no preload when the run was not", runManifest({ seed: { value: 7, source: "drawn", preload: false } }), { NODE_OPTIONS: undefined }],
    ["the recorded variables", runManifest({ env: { vars: { LANG: "C.UTF-8", TZ: "UTC" }, refused: [] } }), { LANG: "C.UTF-8", TZ: "UTC" }],
    [
      "the contract over a recorded variable of the same name",
      runManifest({ env: { vars: { MLX_SEED: "1" }, refused: ["X"] } }),
      { MLX_SEED: "42" },
    ],
    [
      "none of a crafted record's loader, path or secret variables",
      runManifest({
        seed: { value: 7, source: "drawn", preload: false },
        env: {
          vars: { LD_PRELOAD: "/tmp/x.so", NODE_OPTIONS: "--require /tmp/x", PATH: "/tmp", AWS_SECRET_ACCESS_KEY: "k", TZ: "UTC" },
          refused: [],
        },
      }),
      { LD_PRELOAD: undefined, NODE_OPTIONS: undefined, PATH: undefined, AWS_SECRET_ACCESS_KEY: undefined, TZ: "UTC" },
    ],
  ])("has %s", (_name, run, expected) => {
    const env = containerEnv(run).vars;
    for (const [key, value] of Object.entries(expected)) expect(env[key], key).toBe(value);
  });
});

describe("containerSpecFor", () => {
  it.each<[string, RunManifest, ContainerLimits, Record<string, unknown>]>([
    ["the recorded command at the repository root", runManifest(), limits, { argv: ["node", "train.js"], workdir: "/app" }],
    [
      "the recorded folder below the root",
      runManifest({ command: { argv: ["python", "t.py"], redactedArgs: [], shell: false, cwd: "src/ml" } }),
      limits,
      { workdir: "/app/src/ml" },
    ],
    [
      "the reviewer's limits",
      runManifest(),
      { network: true, cpus: 0.5, memoryBytes: 1024, gpus: "all", keep: true, timeoutMs: 90_000 },
      { network: true, cpus: 0.5, memoryBytes: 1024, gpus: "all", keep: true, timeoutMs: 90_000 },
    ],
    [
      "a time limit of ten times the recorded run when no --timeout is given",
      runManifest({ outcome: { exitCode: 0, signal: null, source: "child", endedAt: "y", durationMs: 120_000, notes: [] } }),
      limits,
      { timeoutMs: 1_200_000 },
    ],
    [
      "a file size limit of twice the largest recorded output, at least 1 GiB",
      runManifest({ outputs: [{ path: "m.bin", kind: "file", sizeBytes: 3 * 1024 ** 3, sha256: "a".repeat(64) }] }),
      limits,
      { fileSizeBytes: 6 * 1024 ** 3 },
    ],
    ["a file size limit of 1 GiB for small outputs", runManifest(), limits, { fileSizeBytes: 1024 ** 3 }],
    [
      "a file size limit of at most 16 GiB, whatever size the (untrusted) record claims",
      runManifest({ outputs: [{ path: "m.bin", kind: "file", sizeBytes: 1e13, sha256: "a".repeat(64) }] }),
      limits,
      { fileSizeBytes: 16 * 1024 ** 3 },
    ],
    [
      "a fixed pid limit and a label naming the run",
      runManifest({ id: "r9" }),
      limits,
      { pidsLimit: REPLAY_PIDS_LIMIT, labels: { "org.mlx.replay-of": "r9" } },
    ],
  ])("takes %s", (_name, run, given, expected) => {
    expect(containerSpecFor(run, "sha256:abc", ["/h:/app/x:ro"], given)).toMatchObject({
      imageId: "sha256:abc",
      binds: ["/h:/app/x:ro"],
      ...expected,
    });
  });
});
