// The environment contract of a run: the variables a command sees, the same under capture (on the
// host) and replay (in the container). Only the paths differ, so they are parameters.

export interface RunEnvironmentPlan {
  runId: string;
  seed: number;
  params: Record<string, unknown>;
  /** Where the SDK appends its metric lines (MLX_METRICS_FILE). */
  metricsFile: string;
  /** The node seeding preload to --require, or null when seeding is off. */
  nodePreload: string | null;
  /** NODE_OPTIONS the command would have had: the preload is added after them. */
  nodeOptions?: string | undefined;
}

/** MLX_RUN_ID, MLX_SEED, MLX_PARAMS, MLX_METRICS_FILE, PYTHONHASHSEED and, when seeding node, NODE_OPTIONS. */
export function runEnvironment(plan: RunEnvironmentPlan): Record<string, string> {
  const env: Record<string, string> = {
    MLX_RUN_ID: plan.runId,
    MLX_SEED: String(plan.seed),
    MLX_PARAMS: JSON.stringify(plan.params),
    MLX_METRICS_FILE: plan.metricsFile,
    PYTHONHASHSEED: String(plan.seed),
  };
  if (plan.nodePreload !== null) {
    env["NODE_OPTIONS"] = `${plan.nodeOptions ? plan.nodeOptions + " " : ""}--require ${JSON.stringify(plan.nodePreload)}`;
  }
  return env;
}
