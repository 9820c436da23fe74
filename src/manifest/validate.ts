import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { BadInputError } from "../errors.js";
import { runSchema } from "./run-schema.js";
import type { RunManifest } from "./types.js";

const compiled = new Map<object, ValidateFunction>();

function compile(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** Renders ajv errors as "/pointer message" lines, most specific first, at most five. */
export function renderSchemaErrors(errors: ErrorObject[] | null | undefined): string {
  const lines = (errors ?? [])
    .filter((e) => e.keyword !== "oneOf" && e.keyword !== "anyOf")
    .map((e) => {
      const extra = e.keyword === "additionalProperties" ? ` '${String(e.params["additionalProperty"])}'` : "";
      const allowed = e.keyword === "enum" ? `: ${(e.params["allowedValues"] as unknown[]).join(", ")}` : "";
      return `${e.instancePath || "/"} ${e.message ?? "is invalid"}${extra}${allowed}`;
    });
  const unique = [...new Set(lines)];
  return unique.slice(0, 5).join("; ") + (unique.length > 5 ? ` (and ${unique.length - 5} more)` : "");
}

/** Checks `data` against `schema`; throws BadInputError naming `where` and the JSON pointers. */
export function validateAgainst<T>(schema: object, data: unknown, where: string, hint: string): T {
  const validate = compile(schema);
  if (!validate(data)) {
    throw new BadInputError(`${where} is invalid: ${renderSchemaErrors(validate.errors)}`, hint);
  }
  return data as T;
}

export function validateRun(data: unknown, where: string): RunManifest {
  if (data !== null && typeof data === "object" && "apiVersion" in data && data.apiVersion !== "mlx/v1") {
    throw new BadInputError(`${where}: apiVersion ${String(data.apiVersion)} is not understood by this mlx`, "Upgrade mlx to read newer records.");
  }
  return validateAgainst<RunManifest>(runSchema, data, where, "The record was edited or written by another tool; restore it or capture again.");
}
