// Fragments shared by the record schemas, built with TypeBox so that each schema is also its TypeScript type.
// Lengths are patterns, never minLength/maxLength: see AJV_OPTIONS in validate.ts.
// TypeBox is imported from its "type" entry as a namespace: the CLI bundle then keeps only the builders used.
import * as Type from "@sinclair/typebox/type";

export const API_VERSION = "mlx/v1";
export const DRAFT_07 = "http://json-schema.org/draft-07/schema#";
/** A run's status, as recorded; a group's trial may also be "pending". */
export const RUN_STATUSES = ["running", "succeeded", "failed", "interrupted", "not-found", "not-executable"] as const;

export const sha256 = Type.String({ pattern: "^[0-9a-f]{64}$" });
export const dateTime = Type.String({ pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$" });
export const nonNegInt = Type.Integer({ minimum: 0 });
export const runId = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" });
/** A seed: an unsigned 32-bit integer. */
export const seedValue = Type.Integer({ minimum: 0, maximum: 4294967295 });

/** An object that admits only the properties it names, as every record object does. */
export function closed<T extends Type.TProperties>(properties: T, options: Type.ObjectOptions = {}): Type.TObject<T> {
  return Type.Object(properties, { ...options, additionalProperties: false });
}

/** `{ enum: [...] }` as written by hand (a Union of Literals would give anyOf, and vaguer errors). */
export function stringEnum<const T extends readonly string[]>(values: T, options: Type.SchemaOptions = {}): Type.TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, enum: values });
}

interface JsonTypes {
  string: string;
  number: number;
  integer: number;
  boolean: boolean;
  null: null;
}

/** `{ type: ["string", "null"] }`: one schema with a list of types (ajv's allowUnionTypes), not an anyOf. */
export function ofTypes<const K extends ReadonlyArray<keyof JsonTypes>>(
  types: K,
  options: Type.SchemaOptions = {},
): Type.TUnsafe<JsonTypes[K[number]]> {
  return Type.Unsafe<JsonTypes[K[number]]>({ type: types, ...options });
}

/** `{ type: "object", additionalProperties: value }`: a map from any key to `value`. */
export function dict<V extends Type.TSchema>(value: V, options: Type.SchemaOptions = {}): Type.TUnsafe<Record<string, Type.Static<V>>> {
  return Type.Unsafe<Record<string, Type.Static<V>>>({ ...options, type: "object", additionalProperties: value });
}

/** Any JSON object (params as the user wrote them). */
export function anyObject(options: Type.SchemaOptions = {}): Type.TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ ...options, type: "object" });
}

const nonFinite = stringEnum(["NaN", "Infinity", "-Infinity"]);
/** A metric's value: a finite number, or one of three strings for the non-finite ones (YAML and JSON lack them). */
export const metricValue = Type.Union([Type.Number(), nonFinite]);
/** The same, or null where a run did not report it. */
export const metricValueOrNull = Type.Union([Type.Number(), nonFinite, Type.Null()]);

const tolerance = closed({ rtol: Type.Optional(Type.Number({ minimum: 0 })), atol: Type.Optional(Type.Number({ minimum: 0 })) });
/** Per-metric tolerances, by metric name, declared at capture for replay. */
export function toleranceMap(options: Type.SchemaOptions = {}): Type.TUnsafe<Record<string, Type.Static<typeof tolerance>>> {
  return dict(tolerance, options);
}

/** A command in a config file: one shell line, or an argv list. */
export const configCommand = Type.Union([Type.String({ pattern: "\\S" }), Type.Array(Type.String(), { minItems: 1 })]);
/** A list of names or paths in a config file, none of them blank. */
export const nonBlankStrings = Type.Array(Type.String({ pattern: "\\S" }));
