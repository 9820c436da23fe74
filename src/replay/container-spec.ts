import { containerWorkdir, MLX_DIR_IN_CONTAINER, PRELOAD_IN_IMAGE, PYTHON_PRELOAD_DIR } from "../bundle/image-layout.js";
import { runEnvironment } from "../bundle/run-environment.js";
import type { ContainerSpec } from "../docker/docker-client.js";
import { SDK_METRICS_FILE } from "../metrics/metrics-collector.js";
import { DEFAULT_ENV_ALLOWLIST, selectEnv } from "../record/redact.js";
import type { RunManifest } from "../record/types.js";
import { defaultTimeoutMs } from "./replay-limits.js";

/** Processes a replayed run may have at once: enough for a data loader, not for a fork bomb. */
export const REPLAY_PIDS_LIMIT = 1024;
/** The largest file the container may write (the SDK's metrics file, each output): at least this much. */
export const MIN_FILE_SIZE_LIMIT_BYTES = 1024 ** 3;
/** ... and never more: the record that asks for more is the bundle's, and the bundle is untrusted. */
export const MAX_FILE_SIZE_LIMIT_BYTES = 16 * 1024 ** 3;

/** The reviewer's settings for the container: never read from the bundle. */
export interface ContainerLimits {
  readonly network: boolean;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly gpus: "all" | number | null;
  readonly keep: boolean;
  /** --timeout; null: ten times the recorded duration, at least ten minutes. */
  readonly timeoutMs: number | null;
}

/** The container that replays `run`: its own recorded command, folder, environment, seeds and params. */
export function containerSpecFor(run: RunManifest, imageId: string, binds: readonly string[], limits: ContainerLimits): ContainerSpec {
  return {
    imageId,
    argv: run.command.argv,
    workdir: containerWorkdir(run.command.cwd),
    env: containerEnv(run).vars,
    binds: [...binds],
    network: limits.network,
    cpus: limits.cpus,
    memoryBytes: limits.memoryBytes,
    pidsLimit: REPLAY_PIDS_LIMIT,
    gpus: limits.gpus,
    keep: limits.keep,
    timeoutMs: limits.timeoutMs ?? defaultTimeoutMs(run.outcome?.durationMs),
    fileSizeBytes: fileSizeLimit(run),
    labels: { "org.mlx.replay-of": run.id },
  };
}

/**
 * Every file the container writes is capped (RLIMIT_FSIZE): at least 1 GiB, and twice the largest
 * output the original run wrote, so that a run that fitted then fits now; at most 16 GiB, whatever
 * the (untrusted) record claims.
 */
export function fileSizeLimit(run: RunManifest): number {
  const largest = Math.max(0, ...run.outputs.flatMap((o) => [o.sizeBytes, ...(o.files ?? []).map((f) => f.sizeBytes)]));
  return Math.min(MAX_FILE_SIZE_LIMIT_BYTES, Math.max(MIN_FILE_SIZE_LIMIT_BYTES, 2 * largest));
}

/**
 * The recorded environment, filtered again through capture's allowlist (the record is untrusted: a
 * crafted one may ask for LD_PRELOAD, NODE_OPTIONS, PATH or secrets, which are dropped and listed),
 * then HOME in the writable /tmp (the root filesystem is read-only), then the run environment
 * contract with the container's paths: the seeding preload only when the run was seeded by it.
 */
export function containerEnv(run: RunManifest): { vars: Record<string, string>; dropped: string[] } {
  // Records from before the per-runtime list knew only the Node preload.
  const applied = (runtime: "node" | "python"): boolean =>
    run.seed.preloads ? run.seed.preloads.some((p) => p.runtime === runtime && p.applied) : runtime === "node" && run.seed.preload;
  const nodePreload = applied("node") ? PRELOAD_IN_IMAGE : null;
  const python = run.python?.available === true || applied("python");
  const metricsFile = `${MLX_DIR_IN_CONTAINER}/${SDK_METRICS_FILE}`;
  const kept = selectEnv(run.env.vars, DEFAULT_ENV_ALLOWLIST);
  const dropped = Object.keys(run.env.vars)
    .filter((name) => !(name in kept.vars))
    .sort();
  const vars = {
    ...kept.vars,
    HOME: "/tmp",
    ...runEnvironment({
      runId: run.id,
      seed: run.seed.value,
      params: run.params,
      metricsFile,
      nodePreload,
      pythonDir: python ? PYTHON_PRELOAD_DIR : null,
      pythonSeeding: applied("python"),
    }),
  };
  return { vars, dropped };
}
