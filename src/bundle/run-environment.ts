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
  /**
   * The folder of mlx's sitecustomize.py and Python SDK (mlxrun), put first on PYTHONPATH so that
   * `import mlxrun` works; null or absent: not added. Its seeding is on unless pythonSeeding is false.
   */
  pythonDir?: string | null;
  pythonSeeding?: boolean;
  /** PYTHONPATH the command would have had: kept after the folder. */
  pythonPath?: string | undefined;
  /** Where mlx's sitecustomize notes at exit what the run imported (MLX_PYTHON_IMPORTS_FILE); capture only. */
  pythonImportsFile?: string | null;
}

/** The file, in a run's record folder, of the imported distributions: one JSON line per Python process that exited. */
export const PYTHON_IMPORTS_FILE = "python-imports.jsonl";

/**
 * MLX_RUN_ID, MLX_SEED, MLX_PARAMS, MLX_METRICS_FILE, PYTHONHASHSEED; when seeding node, NODE_OPTIONS;
 * with a Python folder, PYTHONPATH (and MLX_SEED_PRELOAD=0 when its seeding is off, MLX_PYTHON_IMPORTS_FILE under capture).
 */
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
  if (plan.pythonDir) {
    env["PYTHONPATH"] = plan.pythonPath ? `${plan.pythonDir}:${plan.pythonPath}` : plan.pythonDir;
    if (plan.pythonSeeding === false) env["MLX_SEED_PRELOAD"] = "0";
    if (plan.pythonImportsFile) env["MLX_PYTHON_IMPORTS_FILE"] = plan.pythonImportsFile;
  }
  return env;
}
