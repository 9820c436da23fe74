// Complete, minimal records for unit tests: valid against the schemas, with what a test cares about overridden.
import type { BundleManifest, GroupManifest, ReplayReport, RunManifest } from "../../src/record/types.js";

/** A run that succeeded, with `overrides`. */
export function runManifest(overrides: Partial<RunManifest> = {}): RunManifest {
  return {
    apiVersion: "mlx/v1",
    kind: "Run",
    id: "20261123-150752-000-1a2b3c",
    tags: [],
    status: "succeeded",
    createdAt: "2026-11-23T15:07:52.000Z",
    mlxVersion: "0.1.0",
    command: { argv: ["node", "train.js"], redactedArgs: [], shell: false, cwd: "." },
    params: {},
    seed: { value: 42, source: "given", preload: true },
    env: { vars: {}, refused: [] },
    inputs: [],
    outputs: [],
    logs: { stdout: "logs/stdout.log", stderr: "logs/stderr.log" },
    warnings: [],
    ...overrides,
  };
}

/** A search group whose trial i ran as run `run-<i>` with objective `metrics[i]` (null: it never ran). */
export function groupManifest(
  metrics: ReadonlyArray<number | null>,
  best: number | null,
  direction: "maximize" | "minimize" = "maximize",
): GroupManifest {
  return {
    apiVersion: "mlx/v1",
    kind: "Group",
    id: "20261123-150752-000-group",
    name: "search",
    createdAt: "2026-11-23T15:07:52.000Z",
    mlxVersion: "0.1.0",
    status: "succeeded",
    spec: {
      sampler: "grid",
      seed: 1,
      numTrials: metrics.length,
      concurrency: 1,
      metric: { name: "acc", direction },
      paramSpace: {},
      params: {},
      argv: ["node", "t.js"],
      paramsAs: "env",
    },
    warnings: [],
    trials: metrics.map((metric, index) => ({
      index,
      runId: metric !== null ? `run-${index}` : null,
      seed: index,
      params: {},
      status: metric !== null ? "succeeded" : "failed",
      exitCode: metric !== null ? 0 : 1,
      metric,
    })),
    best: best === null ? null : { index: best, runId: `run-${best}`, metric: metrics[best] ?? 0 },
  };
}

/** A replay of run r1 that reproduced with nothing compared, with `overrides`. */
export function replayReport(overrides: Partial<ReplayReport> = {}): ReplayReport {
  return {
    apiVersion: "mlx/v1",
    kind: "Replay",
    createdAt: "2026-11-23T15:07:52.000Z",
    mlxVersion: "0.1.0",
    bundle: { path: "/b.tar", imageId: "sha256:abc" },
    run: "r1",
    verdict: "reproduced",
    container: { exitCode: 0, originalExitCode: 0, oomKilled: false, durationMs: 1 },
    metrics: [],
    series: [],
    outputs: [],
    drift: [],
    warnings: [],
    ...overrides,
  };
}

/** The bundle.yaml of a bundle holding `run`, with no image file unless `image` says so. */
export function bundleManifest(run: RunManifest, image: Partial<BundleManifest["image"]> = {}): BundleManifest {
  return {
    apiVersion: "mlx/v1",
    kind: "Bundle",
    created: run.createdAt,
    mlxVersion: "0.1.0",
    runs: [run.id],
    image: { id: `sha256:${"c".repeat(64)}`, file: null, baseImage: "node:20-bookworm-slim", dependencies: "none", ...image },
    command: { argv: ["node", "train.js"], workdir: "/app" },
    data: [],
    links: [],
  };
}
