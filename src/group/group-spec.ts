import * as Type from "@sinclair/typebox/type";
import { commandFromConfig, parseParamsJson } from "../capture/capture-options.js";
import { validateSeedValue } from "../capture/seed.js";
import { BadInputError } from "../errors.js";
import { clampConcurrency, MAX_CONCURRENCY, MIN_CONCURRENCY } from "../primitives/concurrency.js";
import { validateAgainst } from "../record/validate.js";
import { anyObject, closed, configCommand, dict, nonBlankStrings, ofTypes, stringEnum } from "../record/schema-parts.js";
import { type Distribution, checkDistribution, parseDistribution } from "./distribution.js";
import { gridSize, MAX_GRID_POINTS, type Space } from "./samplers.js";
import { normalizePruner, type Pruner, prunerSchema } from "./pruner-spec.js";
import { validateGpusPerTrial } from "./gpu-slots.js";
import {
  checkRayConfig,
  executorSchema,
  type ExecutorName,
  normalizeExecutor,
  normalizeSlurmSettings,
  type SlurmSettings,
  slurmSchema,
} from "./slurm-spec.js";

/** A search, normalised: everything the scheduler needs, nothing left undefined. */
export interface GroupSpec {
  readonly name: string;
  readonly numTrials: number;
  readonly sampler: "grid" | "random" | "tpe";
  readonly seed: number;
  readonly space: Space;
  /** The distributions as written, for the record. */
  readonly spaceText: Readonly<Record<string, string>>;
  /** Fixed for every trial. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly metric: { readonly name: string; readonly direction: "maximize" | "minimize" };
  readonly concurrency: number;
  readonly argv: readonly string[];
  readonly paramsAs: "env" | "flags";
  /** Declared for every trial, as in a run config. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly metricFiles: readonly string[];
  /** Times a trial lost by its executor (node died, time limit) is run again. */
  readonly maxRetries: number;
  readonly pruner: Pruner;
  /** GPUs each local trial holds (fractions share a GPU); 0: none asked. */
  readonly gpusPerTrial: number;
  /** Keep each trial's working copy after it ends (for debugging). */
  readonly keepWorkdirs: boolean;
  /** Where trials run: here (local) or as Slurm jobs, with the `slurm:` block's resources. */
  readonly executor: ExecutorName;
  readonly slurm: SlurmSettings;
}

const KEYS = [
  "name",
  "kind",
  "num_trials",
  "sampler",
  "seed",
  "param_space",
  "params",
  "metric",
  "concurrency",
  "ray_config",
  "run",
  "command",
  "params_as",
  "inputs",
  "outputs",
  "metrics",
  "max_retries",
  "pruner",
  "gpus_per_trial",
  "keep_workdirs",
  "executor",
  "slurm",
];

const opt = Type.Optional;

export const groupSpecSchema = Type.Object(
  {
    name: opt(Type.String({ pattern: "^[^\\n]{1,200}$" })),
    kind: opt(stringEnum(["group", "Group"])),
    num_trials: opt(Type.Integer({ minimum: 1, maximum: 10000 })),
    sampler: opt(stringEnum(["grid", "random", "tpe"])),
    seed: opt(ofTypes(["integer", "string"])),
    param_space: dict(Type.Union([Type.String(), Type.Array(ofTypes(["number", "string", "boolean"]))])),
    params: opt(anyObject()),
    metric: closed({ name: Type.String({ pattern: "\\S" }), direction: opt(stringEnum(["maximize", "minimize"])) }),
    concurrency: opt(Type.Integer({ minimum: MIN_CONCURRENCY, maximum: MAX_CONCURRENCY })),
    ray_config: opt(Type.Object({ num_cpus: opt(Type.Integer({ minimum: MIN_CONCURRENCY, maximum: MAX_CONCURRENCY })) })),
    run: opt(configCommand),
    command: opt(configCommand),
    params_as: opt(stringEnum(["env", "flags"])),
    inputs: opt(nonBlankStrings),
    outputs: opt(nonBlankStrings),
    metrics: opt(nonBlankStrings),
    max_retries: opt(Type.Integer({ minimum: 0, maximum: 100 })),
    pruner: opt(prunerSchema),
    gpus_per_trial: opt(Type.Number({ minimum: 0 })),
    keep_workdirs: opt(Type.Boolean()),
    executor: opt(executorSchema),
    slurm: opt(slurmSchema),
  },
  { $id: "https://mlx.dev/schema/group-spec.schema.json", additionalProperties: false },
);

/** A search config as written (`--config search.yaml`), after schema validation and before normalizeGroupSpec. */
export type RawGroupSpec = Type.Static<typeof groupSpecSchema>;

/** A config is a search group when it says so or has a param_space. */
export function isGroupConfig(data: unknown): boolean {
  return (
    data !== null && typeof data === "object" && ("param_space" in data || /^group$/i.test(String((data as { kind?: unknown }).kind ?? "")))
  );
}

export interface GroupOverrides {
  argv: readonly string[];
  params?: string;
  paramSpace?: string;
  seed?: number;
  name?: string;
  defaultConcurrency: number;
  /** --executor and --slurm '<json>' (merged over the spec's slurm: block). */
  executor?: string;
  slurm?: string;
}

/**
 * Validates a group spec (errors name the field and suggest the key meant) and merges the
 * command line over it (--params, --param-space, --seed, --name win, as in ml-experiment).
 */
export function normalizeGroupSpec(data: unknown, where: string, cli: GroupOverrides): GroupSpec {
  suggestKeys(data, where);
  const raw = validateAgainst<Record<string, unknown>>(groupSpecSchema, data, where, "Fix that field of the group spec.");
  const spaceRaw: Record<string, unknown> = { ...(raw["param_space"] as object) };
  if (cli.paramSpace !== undefined) Object.assign(spaceRaw, parseParamsJson(cli.paramSpace));
  const spaceText: Record<string, string> = {};
  const space: Array<readonly [string, Distribution]> = [];
  for (const [name, value] of Object.entries(spaceRaw)) {
    const dist = Array.isArray(value)
      ? checkDistribution({ kind: "choice", values: value as Array<number | string | boolean> }, name)
      : typeof value === "string"
        ? parseDistribution(value, name)
        : failType(name, where);
    spaceText[name] = typeof value === "string" ? value : `choice(${JSON.stringify(value)})`;
    space.push([name, dist] as const);
  }
  if (space.length === 0)
    throw new BadInputError(`${where}: param_space is empty`, "Give at least one parameter to search, e.g. lr: loguniform(1e-4, 0.1).");
  const sampler = (raw["sampler"] as GroupSpec["sampler"] | undefined) ?? "random";
  if (sampler === "grid" && gridSize(space) > MAX_GRID_POINTS) {
    throw new BadInputError(
      `${where}: the grid has ${gridSize(space).toExponential(2)} points (more than ${MAX_GRID_POINTS})`,
      "Use fewer choices, or sampler: random or tpe.",
    );
  }
  const numTrials = (raw["num_trials"] as number | undefined) ?? (sampler === "grid" ? gridSize(space) : 10);
  const params = { ...(raw["params"] as object | undefined) } as Record<string, unknown>;
  if (cli.params !== undefined) Object.assign(params, parseParamsJson(cli.params));
  const fromSpec = (raw["run"] ?? raw["command"]) as string | string[] | undefined;
  if (cli.argv.length === 0 && fromSpec === undefined)
    throw new BadInputError(`${where}: no command (run:) and none after --`, "Give run: in the spec, or the command after --.");
  const argv = cli.argv.length > 0 ? [...cli.argv] : commandFromConfig(fromSpec!, where);
  const metric = raw["metric"] as { name: string; direction?: "maximize" | "minimize" };
  checkRayConfig(raw["ray_config"], where);
  const rayCpus = (raw["ray_config"] as { num_cpus?: number } | undefined)?.num_cpus;
  return {
    name: cli.name ?? (raw["name"] as string | undefined) ?? "search",
    numTrials,
    sampler,
    seed: cli.seed ?? (raw["seed"] === undefined ? 0 : validateSeedValue(raw["seed"], `${where}: seed`)),
    space,
    spaceText,
    params,
    metric: { name: metric.name, direction: metric.direction ?? "maximize" },
    concurrency: (raw["concurrency"] as number | undefined) ?? rayCpus ?? clampConcurrency(cli.defaultConcurrency),
    argv,
    paramsAs: (raw["params_as"] as GroupSpec["paramsAs"] | undefined) ?? "env",
    inputs: (raw["inputs"] as string[] | undefined) ?? [],
    outputs: (raw["outputs"] as string[] | undefined) ?? [],
    metricFiles: (raw["metrics"] as string[] | undefined) ?? [],
    maxRetries: (raw["max_retries"] as number | undefined) ?? 1,
    pruner: normalizePruner(raw["pruner"]),
    gpusPerTrial: validateGpusPerTrial((raw["gpus_per_trial"] as number | undefined) ?? 0, where),
    keepWorkdirs: (raw["keep_workdirs"] as boolean | undefined) ?? false,
    executor: normalizeExecutor(raw["executor"], cli.executor),
    slurm: normalizeSlurmSettings(raw["slurm"], cli.slurm, where),
  };
}

function failType(name: string, where: string): never {
  throw new BadInputError(
    `${where}: param_space.${name} must be a distribution string or a list of choices`,
    "Example: lr: loguniform(1e-4, 0.1)",
  );
}

/** Unknown or misspelt keys: name the nearest known key (num_trail -> num_trials, maximise -> maximize). */
function suggestKeys(data: unknown, where: string): void {
  if (data === null || typeof data !== "object") return;
  for (const key of Object.keys(data)) {
    if (KEYS.includes(key)) continue;
    const near = KEYS.map((k) => [k, distance(k, key)] as const).sort((a, b) => a[1] - b[1])[0]!;
    throw new BadInputError(
      `${where}: unknown key '${key}'`,
      near[1] <= 3 ? `Did you mean '${near[0]}'?` : `Known keys: ${KEYS.join(", ")}.`,
    );
  }
  const direction = (data as { metric?: { direction?: unknown } }).metric?.direction;
  if (typeof direction === "string" && direction !== "maximize" && direction !== "minimize") {
    const near = distance(direction, "maximize") <= distance(direction, "minimize") ? "maximize" : "minimize";
    throw new BadInputError(`${where}: metric.direction '${direction}' is not maximize or minimize`, `Did you mean '${near}'?`);
  }
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}
