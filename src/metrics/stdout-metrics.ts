import { BadInputError } from "../errors.js";
import type { MetricValue } from "../record/types.js";
import { parseMetricNumber } from "./metric-value.js";

export interface LineMetrics {
  step?: number;
  values: Array<{ name: string; value: MetricValue }>;
}

// `name=value` (Katib) and `name: value` (Guild AI), several per line: "epoch=3 loss=0.41 acc: 0.9".
// A name starts with a letter or "_" and is not glued to a preceding word, path or URL.
const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?(?:nan|inf(?:inity)?)`;
export const DEFAULT_METRIC_PATTERN = String.raw`(?<![\w.\-/])(?<name>[A-Za-z_][\w.\-/]*)\s*(?:=|:)\s*(?<value>${NUMBER})(?![\w.])`;

/** Keys that give the step of the other values on their line rather than being metrics. */
const STEP_KEYS = new Set(["step", "epoch", "iteration", "iter", "global_step"]);

/** Compiles a user pattern; it must have named groups `name` and `value`. */
export function compileMetricPattern(source: string): RegExp {
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, "gi");
  } catch (error) {
    throw new BadInputError(
      `--metric-pattern is not a valid regular expression: ${(error as Error).message}`,
      "Give a JavaScript regular expression.",
      { cause: error },
    );
  }
  if (!source.includes("(?<name>") || !source.includes("(?<value>")) {
    throw new BadInputError(
      "--metric-pattern needs the named groups (?<name>...) and (?<value>...)",
      String.raw`Example: --metric-pattern '(?<name>\w+)=(?<value>[-\d.eE+]+)'`,
    );
  }
  return pattern;
}

/** Every metric on one line of output; values that are not numbers are skipped. */
export function parseMetricLine(line: string, pattern: RegExp): LineMetrics {
  const result: LineMetrics = { values: [] };
  pattern.lastIndex = 0;
  for (const match of line.matchAll(pattern)) {
    const name = match.groups?.["name"];
    const raw = match.groups?.["value"];
    if (!name || raw === undefined) continue;
    const value = parseMetricNumber(raw);
    if (value === undefined) continue;
    if (STEP_KEYS.has(name.toLowerCase()) && typeof value === "number" && Number.isInteger(value)) {
      result.step = value;
    } else {
      result.values.push({ name, value });
    }
  }
  return result;
}
