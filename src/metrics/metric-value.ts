import type { MetricValue } from "../record/types.js";

/**
 * The one rule for non-finite metrics: NaN and +-Infinity are kept, spelled as the strings
 * "NaN", "Infinity" and "-Infinity" (YAML and JSON have no literal for them). Replay never
 * counts them as within tolerance.
 */
export function toMetricValue(value: number): MetricValue {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return Object.is(value, -0) ? 0 : value;
}

/** Parses a number as printed by Python, Node or C: "0.5", "1e-3", "nan", "-inf", "Infinity". */
export function parseMetricNumber(text: string): MetricValue | undefined {
  const t = text.trim().toLowerCase();
  if (t === "nan" || t === "+nan" || t === "-nan") return "NaN";
  if (t === "inf" || t === "+inf" || t === "infinity" || t === "+infinity") return "Infinity";
  if (t === "-inf" || t === "-infinity") return "-Infinity";
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/.test(t)) return undefined;
  return toMetricValue(Number(t));
}

/** Reads a metric value from JSON/YAML data: numbers, or the three non-finite spellings. */
export function metricValueOf(data: unknown): MetricValue | undefined {
  if (typeof data === "number") return toMetricValue(data);
  if (typeof data === "string") return parseMetricNumber(data);
  return undefined;
}
