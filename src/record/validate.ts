import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { ErrorObject } from "ajv";
import { BadInputError } from "../errors.js";
import { bundleSchema } from "./bundle-schema.js";
import { groupSchema } from "./group-schema.js";
import { replaySchema } from "./replay-schema.js";
import { runSchema } from "./run-schema.js";
import type { BundleManifest, GroupManifest, RunManifest } from "./types.js";

interface Validator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * The ajv options of both paths below. The schemas cap lengths with patterns, not maxLength: ajv's
 * standalone code for maxLength needs a runtime require(), which an ES module cannot do.
 */
export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;

// `npm run build` compiles each schema to plain code, one CommonJS file per schema
// (scripts/build-validators.mjs), required synchronously the first time it is used: loading that
// takes a few ms where compiling at run time took ~120 ms of every capture. Without a build (the
// unit tests run the TypeScript) the schema is compiled here, once, with the same options.
const require = createRequire(import.meta.url);
const compiled = new Map<object, Validator>();

/** dist/record/validators/run.cjs for https://mlx.dev/schema/run.schema.json. */
export function precompiledName(id: string): string {
  return id.replace(/^.*\/schema\//, "").replace(/\.schema\.json$/, "");
}

function compile(schema: object & { $id?: string }): Validator {
  let validate = compiled.get(schema);
  if (validate) return validate;
  try {
    // A URL of the same depth from dist/record/ and from the bundle's chunks in dist/cli/.
    const file = fileURLToPath(new URL(`../record/validators/${precompiledName(schema.$id ?? "")}.cjs`, import.meta.url));
    validate = (require(file) as { default?: Validator } & Validator).default ?? (require(file) as Validator);
  } catch {
    const { Ajv } = require("ajv") as typeof import("ajv");
    validate = new Ajv(AJV_OPTIONS).compile(schema);
  }
  compiled.set(schema, validate);
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

function checkApiVersion(data: unknown, where: string): void {
  if (data !== null && typeof data === "object" && "apiVersion" in data && data.apiVersion !== "mlx/v1") {
    throw new BadInputError(`${where}: apiVersion ${String(data.apiVersion)} is not understood by this mlx`, "Upgrade mlx to read newer records.");
  }
}

export function validateRun(data: unknown, where: string): RunManifest {
  checkApiVersion(data, where);
  return validateAgainst<RunManifest>(runSchema, data, where, "The record was edited or written by another tool; restore it or capture again.");
}

export function validateBundle(data: unknown, where: string): BundleManifest {
  checkApiVersion(data, where);
  return validateAgainst<BundleManifest>(bundleSchema, data, where, "The bundle is corrupt or was not made by mlx pack; ask for a new one.");
}

export function validateReplay<T>(data: T, where: string): T {
  return validateAgainst<T>(replaySchema, data, where, "This is a bug in mlx: the replay record it made is invalid.");
}

export function validateGroup(data: unknown, where: string): GroupManifest {
  checkApiVersion(data, where);
  return validateAgainst<GroupManifest>(groupSchema, data, where, "The group record was edited; restore it or run the search again.");
}
