// Fragments shared by the record schemas. (Lengths are patterns, never minLength/maxLength: see
// AJV_OPTIONS in validate.ts.)

export const sha256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
export const dateTime = { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z$" } as const;
export const nonNegInt = { type: "integer", minimum: 0 } as const;
export const runId = { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$" } as const;
/** A metric's value: a number, or one of the spellings of the non-finite ones. */
export const metricValue = { oneOf: [{ type: "number" }, { enum: ["NaN", "Infinity", "-Infinity"] }] } as const;
/** The same, or null where a run did not report it. */
export const metricValueOrNull = { oneOf: [{ type: "number" }, { enum: ["NaN", "Infinity", "-Infinity"] }, { type: "null" }] } as const;
