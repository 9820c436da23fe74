import * as Type from "@sinclair/typebox/type";
import { readFile, stat } from "node:fs/promises";
import { BadInputError, describeError } from "../errors.js";
import { MAX_YAML_BYTES, parseYamlStrict } from "../record/parse-yaml.js";
import { validateAgainst } from "../record/validate.js";
import { anyObject, configCommand, nonBlankStrings, ofTypes, toleranceMap } from "../record/schema-parts.js";

const opt = Type.Optional;

export const runConfigSchema = Type.Object(
  {
    name: opt(Type.String({ pattern: "^[^\\n]{0,200}$" })),
    tags: opt(nonBlankStrings),
    params: opt(anyObject()),
    run: opt(configCommand),
    command: opt(configCommand),
    seed: opt(ofTypes(["integer", "string"])),
    inputs: opt(nonBlankStrings),
    outputs: opt(nonBlankStrings),
    metrics: opt(nonBlankStrings),
    env: opt(nonBlankStrings),
    shell: opt(Type.Boolean()),
    tolerances: opt(toleranceMap()),
  },
  { $id: "https://mlx.dev/schema/run-config.schema.json", additionalProperties: false },
);

/** A run config file (`--config run.yaml`), after schema validation. */
export type RunConfig = Type.Static<typeof runConfigSchema>;

/** A single-run config (the CLI sends configs with param_space or kind: group to group-spec.ts first). */
export function validateRunConfig(data: unknown, where: string): RunConfig {
  return validateAgainst<RunConfig>(runConfigSchema, data ?? {}, where, "Fix that field of the config file.");
}

/** Reads `--config FILE` (YAML or JSON) safely, without deciding yet whether it is a run or a search. */
export async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_YAML_BYTES)
      throw new BadInputError(`--config ${path}: larger than ${MAX_YAML_BYTES} bytes`, "A run config is small; check the path.");
    text = await readFile(path, "utf8");
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(
      `--config ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : describeError(error)}`,
      "Check the path of the config file.",
      { cause: error },
    );
  }
  return parseYamlStrict(text.replace(/^\uFEFF/, ""), path);
}
