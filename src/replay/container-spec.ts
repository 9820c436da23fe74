import { containerWorkdir, MLX_DIR_IN_CONTAINER, PRELOAD_IN_IMAGE } from "../bundle/image-layout.js";
import { runEnvironment } from "../bundle/run-environment.js";
import type { ContainerSpec } from "../docker/docker-client.js";
import { SDK_METRICS_FILE } from "../metrics/metrics-collector.js";
import type { RunManifest } from "../record/types.js";

/** Processes a replayed run may have at once: enough for a data loader, not for a fork bomb. */
export const REPLAY_PIDS_LIMIT = 1024;

/** The reviewer's settings for the container: never read from the bundle. */
export interface ContainerLimits {
  readonly network: boolean;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly gpus: "all" | number | null;
  readonly keep: boolean;
}

/** The container that replays `run`: its own recorded command, folder, environment, seeds and params. */
export function containerSpecFor(run: RunManifest, imageId: string, binds: readonly string[], limits: ContainerLimits): ContainerSpec {
  return {
    imageId,
    argv: run.command.argv,
    workdir: containerWorkdir(run.command.cwd),
    env: containerEnv(run),
    binds: [...binds],
    network: limits.network,
    cpus: limits.cpus,
    memoryBytes: limits.memoryBytes,
    pidsLimit: REPLAY_PIDS_LIMIT,
    gpus: limits.gpus,
    keep: limits.keep,
    labels: { "org.mlx.replay-of": run.id },
  };
}

/**
 * The recorded environment (allowlisted at capture), then HOME in the writable /tmp (the root
 * filesystem is read-only), then the run environment contract with the container's paths: the
 * seeding preload only when the run was seeded by it.
 */
export function containerEnv(run: RunManifest): Record<string, string> {
  const nodePreload = run.seed.preload ? PRELOAD_IN_IMAGE : null;
  const metricsFile = `${MLX_DIR_IN_CONTAINER}/${SDK_METRICS_FILE}`;
  return {
    ...run.env.vars,
    HOME: "/tmp",
    ...runEnvironment({ runId: run.id, seed: run.seed.value, params: run.params, metricsFile, nodePreload }),
  };
}
