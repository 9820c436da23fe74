import { BadInputError } from "../errors.js";
import type { RunRow } from "./run-row.js";

/** The fixed columns, in export order; params ("param.<key>") and final metrics (by name) follow. */
export const FIXED_COLUMNS = ["id", "name", "created", "status", "exit", "duration", "tags", "group", "trial"] as const;

/** Every column of an export, in a stable order: fixed ones, then params, then metrics, each sorted by name. */
export function exportColumns(rows: readonly RunRow[]): string[] {
  const params = [...new Set(rows.flatMap((r) => Object.keys(r.params)))].sort().map((k) => `param.${k}`);
  const metrics = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort().map(metricColumn);
  return [...FIXED_COLUMNS, ...params, ...metrics];
}

/** A metric's column: its bare name, unless that would read as a fixed or param column. */
function metricColumn(name: string): string {
  return (FIXED_COLUMNS as readonly string[]).includes(name) || name.startsWith("param.") || name.startsWith("metric.")
    ? `metric.${name}`
    : name;
}

/** Checks `--columns a,b,c`: fixed names, param.<key>, a metric name, metric.<name>, or (in a table) metrics. */
export function parseColumns(text: string, extra: readonly string[] = []): string[] {
  const columns = text
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean);
  if (columns.length === 0)
    throw new BadInputError(`--columns '${text}' names no column`, `Example: --columns id,name,status,tags,accuracy,param.lr`);
  for (const c of columns) {
    if (!/^[^\s,"]+$/.test(c) || (c.startsWith("param.") && c.length === 6)) {
      throw new BadInputError(
        `--columns: '${c}' is not a column name`,
        `Columns: ${[...FIXED_COLUMNS, ...extra].join(", ")}, param.<key>, <metric>`,
      );
    }
  }
  return columns;
}

/** A cell as plain text: ISO times, milliseconds, tags joined by ";", params as recorded (JSON for lists). Empty when absent. */
export function columnText(row: RunRow, column: string): string {
  const text = (v: unknown): string =>
    v === undefined || v === null ? "" : typeof v === "string" ? v : typeof v === "number" ? String(v) : JSON.stringify(v);
  switch (column) {
    case "id":
      return row.id;
    case "name":
      return text(row.name);
    case "created":
      return text(row.createdAt);
    case "status":
      return row.status;
    case "exit":
      return text(row.exitCode);
    case "duration":
      return text(row.durationMs);
    case "tags":
      return row.tags.join(";");
    case "group":
      return text(row.group?.id);
    case "trial":
      return text(row.group?.trial);
  }
  if (column.startsWith("param.")) {
    const key = column.slice(6);
    return Object.hasOwn(row.params, key) ? text(row.params[key]) : "";
  }
  const metric = column.startsWith("metric.") && !Object.hasOwn(row.metrics, column) ? column.slice(7) : column;
  return Object.hasOwn(row.metrics, metric) ? text(row.metrics[metric]) : "";
}
