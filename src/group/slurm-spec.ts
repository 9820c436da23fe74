// The executor keys of a search spec: `executor: local | slurm`, the `slurm:` block and what `ray_config`
// may still say. Kept apart from the Slurm executor so that reading a spec loads no process code.
import * as Type from "@sinclair/typebox/type";
import { BadInputError, describeError } from "../errors.js";
import { closed, stringEnum } from "../record/schema-parts.js";
import { validateAgainst } from "../record/validate.js";

/** The spec's `slurm:` block, normalised (absent settings are left to the cluster's defaults). */
export interface SlurmSettings {
  readonly partition?: string;
  readonly cpusPerTrial: number;
  readonly gpusPerTrial: number;
  readonly mem?: string;
  readonly time?: string;
  readonly account?: string;
  readonly qos?: string;
  readonly sbatchArgs: readonly string[];
}

export type ExecutorName = "local" | "slurm";

const opt = Type.Optional;
/** A word Slurm reads: no spaces, no leading dash (it would read as another option). */
const word = Type.String({ pattern: "^[^\\s-][^\\s]{0,199}$" });

export const executorSchema = stringEnum(["local", "slurm"]);

export const slurmSchema = closed({
  partition: opt(word),
  cpus_per_trial: opt(Type.Integer({ minimum: 1, maximum: 4096 })),
  gpus_per_trial: opt(Type.Integer({ minimum: 0, maximum: 64 })),
  mem: opt(Type.String({ pattern: "^\\d+[KMGT]?$" })),
  time: opt(Type.String({ pattern: "^[0-9:-]{1,20}$" })),
  account: opt(word),
  qos: opt(word),
  sbatch_args: opt(Type.Array(Type.String({ pattern: "^--?[A-Za-z]" }))),
});

/** `executor:` from the spec, with `--executor` over it. */
export function normalizeExecutor(fromSpec: unknown, fromCli: string | undefined): ExecutorName {
  const value = fromCli ?? fromSpec ?? "local";
  if (value !== "local" && value !== "slurm")
    throw new BadInputError(
      `--executor '${String(value)}' is not local or slurm`,
      "Use --executor local (the default) or --executor slurm.",
    );
  return value;
}

/** The `slurm:` block, with `--slurm '<json>'` merged over it key by key. */
export function normalizeSlurmSettings(fromSpec: unknown, cliJson: string | undefined, where: string): SlurmSettings {
  const merged: Record<string, unknown> = { ...(fromSpec as object | undefined) };
  if (cliJson !== undefined) Object.assign(merged, parseSlurmJson(cliJson));
  const raw = validateAgainst<Record<string, unknown>>(slurmSchema, merged, `${where}: slurm`, "Fix that key of slurm: (or --slurm).");
  const text = (key: string): Record<string, string> => (typeof raw[key] === "string" ? { [camel(key)]: raw[key] } : {});
  return {
    ...text("partition"),
    cpusPerTrial: (raw["cpus_per_trial"] as number | undefined) ?? 1,
    gpusPerTrial: (raw["gpus_per_trial"] as number | undefined) ?? 0,
    ...text("mem"),
    ...text("time"),
    ...text("account"),
    ...text("qos"),
    sbatchArgs: (raw["sbatch_args"] as string[] | undefined) ?? [],
  };
}

/** A Ray cluster is not something mlx can submit to: say so instead of running everything locally. */
export function checkRayConfig(rayConfig: unknown, where: string): void {
  const address = (rayConfig as { address?: unknown } | undefined)?.address;
  if (address === undefined || address === null || address === "local") return;
  throw new BadInputError(
    `${where}: ray_config.address '${String(address)}' names a Ray cluster: running trials on a Ray cluster is not supported`,
    "Use the Slurm executor (executor: slurm, with a slurm: block), or remove ray_config.address to run the trials here.",
  );
}

function parseSlurmJson(text: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(
      `--slurm is not valid JSON: ${describeError(error)}`,
      `Example: --slurm '{"partition": "gpu", "time": "1:00:00"}'`,
      {
        cause: error,
      },
    );
  }
  if (data === null || typeof data !== "object" || Array.isArray(data))
    throw new BadInputError("--slurm must be a JSON object", `Example: --slurm '{"partition": "gpu"}'`);
  return data as Record<string, unknown>;
}

function camel(key: string): string {
  return key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
}
