import type { MetricValue, RunManifest } from "./types.js";

/** A run as `mlx ls` lists, filters and exports it, and as the run index keeps it. */
export interface RunRow {
  id: string;
  name: string | null;
  createdAt: string | null;
  status: string;
  exitCode: number | null;
  durationMs: number | null;
  tags: string[];
  /** Params flattened: nested objects as dotted keys ("optim.lr"), values as recorded. */
  params: Record<string, unknown>;
  metrics: Record<string, MetricValue>;
  group: { id: string; trial: number; objective: string | null } | null;
  problem?: string;
}

/** The row of a valid record; `objective` is the metric its group searched on, when it is a trial. */
export function runRowOf(m: RunManifest, status: string, objective: string | null): RunRow {
  return {
    id: m.id,
    name: m.name ?? null,
    createdAt: m.createdAt,
    status,
    exitCode: m.outcome?.exitCode ?? null,
    durationMs: m.outcome?.durationMs ?? null,
    tags: [...m.tags],
    params: flattenParams(m.params),
    metrics: m.metrics?.final ?? {},
    group: m.group ? { id: m.group.id, trial: m.group.trial, objective } : null,
  };
}

/** The row of a record that cannot be read or fails validation: listed as invalid, with the reason. */
export function invalidRow(id: string, problem: string): RunRow {
  return {
    id,
    name: null,
    createdAt: null,
    status: "invalid",
    exitCode: null,
    durationMs: null,
    tags: [],
    params: {},
    metrics: {},
    group: null,
    problem,
  };
}

/** Nested objects become dotted keys; arrays and scalars stay values. */
export function flattenParams(params: Readonly<Record<string, unknown>>, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (typeof v === "object" && v !== null && !Array.isArray(v))
      Object.assign(out, flattenParams(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}
