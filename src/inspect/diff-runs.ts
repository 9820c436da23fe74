import { compareEnvironments } from "../facts/environment-drift.js";
import { compareMetrics, compareSeries, type Tolerance, withRecordedTolerances } from "../metrics/compare-metrics.js";
import type { MetricPoint, MetricRow, MetricValue, RunManifest, SeriesDivergence } from "../record/types.js";
import { comparePackages } from "./package-changes.js";
import { comparePatches, type PatchFile } from "./patch-summary.js";

/** One side of a diff: a run, or a replay of one, with what was read from its folder. */
export interface DiffSide {
  label: string;
  kind: "run" | "replay";
  /** The record; for a replay, the run it re-executed (its command, code and packages), null when this repository lacks it. */
  run: RunManifest | null;
  /** The uncommitted change by file; null when the run had no patch. */
  patch: ReadonlyMap<string, PatchFile> | null;
  /** npm packages of the run's package-lock.json, name -> version; null without one. */
  npmPackages: ReadonlyMap<string, string> | null;
  /** Host facts by name: cpu, kernel, gpu, driver, node, ... */
  environment: Readonly<Record<string, string>>;
  final: Readonly<Record<string, MetricValue>>;
  series: readonly MetricPoint[];
  exitCode: number | null;
}

export type DiffSection = "command" | "params" | "seed" | "code" | "dependencies" | "outcome" | "environment";

/** One fact of the two sides; `same` false in any section but environment makes the diff differ. */
export interface DiffRow {
  section: DiffSection;
  what: string;
  a: string;
  b: string;
  same: boolean;
}

export interface RunDiff {
  a: string;
  b: string;
  rows: DiffRow[];
  /** Final metrics under the same tolerance logic as replay. */
  metrics: MetricRow[];
  /** Each series' first step where the two part. */
  series: SeriesDivergence[];
  /** True when anything but the environment differs, or a metric is beyond tolerance. */
  differs: boolean;
}

const NONE = "-";
const show = (value: unknown): string => (value === undefined ? NONE : typeof value === "string" ? value : JSON.stringify(value));

/** Compares two runs (or a run and a replay) fact by fact; the environment is shown, as replay shows drift, but never counts. */
export function diffRuns(a: DiffSide, b: DiffSide, tolerance: Tolerance): RunDiff {
  const rows: DiffRow[] = [];
  const add = (section: DiffSection, what: string, va: string, vb: string): void => {
    rows.push({ section, what, a: va, b: vb, same: va === vb });
  };
  const ra = a.run;
  const rb = b.run;
  if (ra && rb) {
    add("command", "argv", JSON.stringify(ra.command.argv), JSON.stringify(rb.command.argv));
    add("command", "cwd", ra.command.cwd, rb.command.cwd);
    const keys = [...new Set([...Object.keys(ra.params), ...Object.keys(rb.params)])].sort();
    for (const k of keys) add("params", k, show(ra.params[k]), show(rb.params[k]));
    add("seed", "seed", show(ra.seed.value), show(rb.seed.value));
    add(
      "code",
      "commit",
      gitFact(ra, (g) => g.commit ?? "(no commits)"),
      gitFact(rb, (g) => g.commit ?? "(no commits)"),
    );
    add(
      "code",
      "dirty",
      gitFact(ra, (g) => String(g.dirty)),
      gitFact(rb, (g) => String(g.dirty)),
    );
    for (const f of comparePatches(a.patch ?? new Map(), b.patch ?? new Map())) {
      const stat = (s: { added: number; removed: number } | null): string => (s ? `+${s.added} -${s.removed}` : "unchanged");
      rows.push({ section: "code", what: `patch ${f.path}`, a: stat(f.a), b: stat(f.b), same: false });
    }
    for (const p of comparePackages(a.npmPackages ?? new Map(), b.npmPackages ?? new Map())) {
      rows.push({ section: "dependencies", what: `npm ${p.name}`, a: p.a ?? NONE, b: p.b ?? NONE, same: false });
    }
    for (const p of comparePackages(pythonDistributions(ra), pythonDistributions(rb))) {
      rows.push({ section: "dependencies", what: `python ${p.name}`, a: p.a ?? NONE, b: p.b ?? NONE, same: false });
    }
  }
  add("outcome", "exit code", show(a.exitCode ?? undefined), show(b.exitCode ?? undefined));
  for (const what of [...new Set([...Object.keys(a.environment), ...Object.keys(b.environment)])]) {
    add("environment", what, a.environment[what] ?? NONE, b.environment[what] ?? NONE);
  }
  // As replay does: the first side's recorded per-metric tolerances under the command line's.
  const own = withRecordedTolerances(tolerance, ra?.tolerances);
  const comparison = compareMetrics(a.final, b.final, own);
  const series = compareSeries(a.series, b.series, own);
  const differs = rows.some((r) => !r.same && r.section !== "environment") || !comparison.reproduced || series.length > 0;
  return { a: a.label, b: b.label, rows, metrics: comparison.rows, series, differs };
}

function gitFact(run: RunManifest, f: (g: { commit: string | null; dirty: boolean }) => string): string {
  if (!run.git) return "not probed";
  return run.git.available ? f(run.git) : `unavailable: ${run.git.reason}`;
}

/** The run's Python distributions, name -> version; empty when it used no Python. */
function pythonDistributions(run: RunManifest): Map<string, string> {
  const py = run.python;
  return new Map(py?.available ? py.distributions.map((d) => [d.name, d.version]) : []);
}

const NO_HOST = { available: false as const, reason: "-" };

/** A run's host facts, formatted as replay formats its drift table, plus the runtimes. */
export function environmentOf(run: RunManifest): Record<string, string> {
  const lines: Record<string, string> = {};
  for (const row of compareEnvironments(run, "", { system: NO_HOST, gpus: NO_HOST, docker: undefined, imageId: "" })) {
    if (row.what !== "image") lines[row.what] = row.original;
  }
  lines["os"] = run.system?.available ? `${run.system.distro} ${run.system.arch}` : "not probed";
  for (const name of ["node", "npm", "python"] as const) lines[name] = run.runtimes?.[name] ?? NONE;
  return lines;
}
