import { readFile, stat } from "node:fs/promises";
import { BadInputError } from "../errors.js";
import { MAX_YAML_BYTES, parseYamlStrict } from "../record/parse-yaml.js";
import { validateAgainst } from "../record/validate.js";

/** A run config file (`--config run.yaml`), after schema validation. */
export interface RunConfig {
  name?: string;
  tags?: string[];
  params?: Record<string, unknown>;
  run?: string | string[];
  command?: string | string[];
  seed?: number | string;
  inputs?: string[];
  outputs?: string[];
  metrics?: string[];
  env?: string[];
  shell?: boolean;
  tolerances?: Record<string, { rtol?: number; atol?: number }>;
}

const strings = { type: "array", items: { type: "string", pattern: "\\S" } } as const;
const commandSchema = { oneOf: [{ type: "string", pattern: "\\S" }, { type: "array", minItems: 1, items: { type: "string" } }] } as const;
export const runConfigSchema = {
  $id: "https://mlx.dev/schema/run-config.schema.json",
  type: "object",
  additionalProperties: false,
  properties: {
    name: { type: "string", pattern: "^[^\\n]{0,200}$" },
    tags: strings,
    params: { type: "object" },
    run: commandSchema,
    command: commandSchema,
    seed: { type: ["integer", "string"] },
    inputs: strings,
    outputs: strings,
    metrics: strings,
    env: strings,
    shell: { type: "boolean" },
    tolerances: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: { rtol: { type: "number", minimum: 0 }, atol: { type: "number", minimum: 0 } },
      },
    },
  },
} as const;

/** A single-run config (the CLI sends configs with param_space or kind: group to group-spec.ts first). */
export function validateRunConfig(data: unknown, where: string): RunConfig {
  return validateAgainst<RunConfig>(runConfigSchema, data ?? {}, where, "Fix that field of the config file.");
}


/** Reads `--config FILE` (YAML or JSON) safely, without deciding yet whether it is a run or a search. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_YAML_BYTES) throw new BadInputError(`--config ${path}: larger than ${MAX_YAML_BYTES} bytes`, "A run config is small; check the path.");
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(`--config ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`, "Check the path of the config file.", { cause: error });
  }
  return parseYamlStrict(text.replace(/^\uFEFF/, ""), path);
}
