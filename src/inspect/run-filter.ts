import { BadInputError } from "../errors.js";
import type { RunRow } from "./run-row.js";
import { matchesWhere, parseWhere, type WhereExpression } from "./where-expression.js";

/** `mlx ls` filters and order, complete: the core never sees an undefined default. */
export interface RunFilter {
  tags: readonly string[];
  statuses: readonly string[];
  name: string | null;
  groupId: string | null;
  params: ReadonlyArray<{ key: string; value: string }>;
  where: readonly WhereExpression[];
  sort: { by: "created" | "name" | { metric: string }; desc: boolean };
  limit: number;
}

export interface RawRunFilter {
  tag: string[];
  status: string[];
  name?: string;
  param: string[];
  where: string[];
  sort?: string;
  desc: boolean;
  limit: string;
}

/** Checks and completes the filter flags (the group id is resolved by the caller). */
export function normalizeRunFilter(raw: RawRunFilter, groupId: string | null): RunFilter {
  const limit = Number(raw.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new BadInputError(`--limit must be a whole number >= 1, got '${raw.limit}'`, "Example: --limit 20");
  const params = raw.param.map((p) => {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new BadInputError(`--param '${p}' is not key=value`, "Example: --param lr=0.01 (nested: --param optim.lr=0.01)");
    return { key: p.slice(0, eq), value: p.slice(eq + 1) };
  });
  const sortBy = raw.sort ?? "created";
  return {
    tags: raw.tag,
    statuses: raw.status.flatMap((s) => s.split(",")).filter(Boolean),
    name: raw.name ?? null,
    groupId,
    params,
    where: raw.where.map(parseWhere),
    // Without --sort, newest first as always; with it, ascending unless --desc.
    sort: { by: sortBy === "created" || sortBy === "name" ? sortBy : { metric: sortBy }, desc: raw.sort === undefined ? true : raw.desc },
    limit,
  };
}

/** The rows that pass every filter, sorted, at most `limit`. */
export function filterRuns(rows: readonly RunRow[], f: RunFilter): RunRow[] {
  const nameTest = f.name === null ? null : nameMatcher(f.name);
  const kept = rows.filter(
    (r) =>
      f.tags.every((t) => r.tags.includes(t)) &&
      (f.statuses.length === 0 || f.statuses.includes(r.status)) &&
      (nameTest === null || nameTest(r.name ?? "")) &&
      (f.groupId === null || r.group?.id === f.groupId) &&
      f.params.every((p) => Object.hasOwn(r.params, p.key) && sameParam(r.params[p.key], p.value)) &&
      f.where.every((w) => matchesWhere(w, Object.hasOwn(r.metrics, w.metric) ? r.metrics[w.metric] : undefined)),
  );
  return sortRuns(kept, f.sort).slice(0, f.limit);
}

/** A glob (`*`, `?`) matches the whole name; plain text matches anywhere in it. */
export function nameMatcher(pattern: string): (name: string) => boolean {
  if (!/[*?]/.test(pattern)) return (name) => name.includes(pattern);
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  const re = new RegExp(`^${source}$`, "s");
  return (name) => re.test(name);
}

/** `--param lr=0.01` matches 0.01 and "0.01"; numbers compare as numbers (1e-2 == 0.01). */
export function sameParam(actual: unknown, wanted: string): boolean {
  if (typeof actual === "number") return wanted.trim() !== "" && Number(wanted) === actual;
  if (typeof actual === "string") return actual === wanted;
  return JSON.stringify(actual) === wanted;
}

function sortRuns(rows: RunRow[], sort: RunFilter["sort"]): RunRow[] {
  const key = (r: RunRow): number | string | null => {
    if (sort.by === "created") return r.createdAt ?? r.id;
    if (sort.by === "name") return r.name;
    const v = Object.hasOwn(r.metrics, sort.by.metric) ? r.metrics[sort.by.metric] : undefined;
    return typeof v === "number" ? v : null;
  };
  const sign = sort.desc ? -1 : 1;
  // Rows without the key go last in either direction; ties keep the newest first.
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === null || kb === null) return ka === kb ? 0 : ka === null ? 1 : -1;
    return ka < kb ? -sign : ka > kb ? sign : 0;
  });
}
