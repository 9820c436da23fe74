// Replay's options as a reviewer's plain `mlx replay bundle.tar --out DIR` would give them, for tests that call replayBundle.
import { DEFAULT_TOLERANCE } from "../../src/metrics/compare-metrics.js";
import type { ReplayOptions } from "../../src/replay/replay-bundle.js";

export function replayOptions(bundle: string, out: string, overrides: Partial<ReplayOptions> = {}): ReplayOptions {
  return {
    bundle,
    out,
    tolerance: DEFAULT_TOLERANCE,
    metrics: [],
    keep: false,
    network: false,
    gpus: null,
    cpus: 1,
    memoryBytes: 1024 ** 3,
    build: false,
    trials: "best",
    concurrency: 1,
    timeoutMs: null,
    trust: null,
    ...overrides,
  };
}
