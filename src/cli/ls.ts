import type { Command } from "commander";
import { BadInputError, describeError } from "../errors.js";
import type { RunFilter, RawRunFilter } from "../inspect/run-filter.js";
import type { RunRow } from "../inspect/run-row.js";
import { findRoot, runsFolder } from "../record/run-folder.js";
import type { GroupManifest } from "../record/types.js";
import { collect } from "./collect.js";
import type { CommandAction } from "./main.js";
import { formatDuration, formatMetric, renderTable } from "./render-table.js";
import { processAlive } from "../primitives/process-alive.js";

interface RawLsOptions extends RawRunFilter {
  json: boolean;
  csv: boolean;
  group?: string;
  columns?: string;
}

export function registerLs(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("ls")
    .description("list the recorded runs, newest first; filter, sort, choose columns, export")
    .option("--json", "print the list as JSON", false)
    .option("--csv", "print the runs as CSV: every param (param.<key>) and final metric a column, ready for pandas", false)
    .option("-n, --limit <n>", "show at most n runs", "50")
    .option("--tag <tag>", "only runs with this tag (repeatable: all of them)", collect, [])
    .option(
      "--status <status>",
      "only runs with this status: succeeded, failed, interrupted, running, abandoned, ... (repeatable)",
      collect,
      [],
    )
    .option("--name <text>", "only runs whose name holds this text, or matches this glob (* and ?)")
    .option("--group <id>", "only the trials of this search group")
    .option("--param <key=value>", "only runs with this param value (repeatable; nested keys dotted: optim.lr=0.1)", collect, [])
    .option("--where <condition>", "only runs whose final metric meets it: 'accuracy>=0.9' (>= <= > < == !=; repeatable)", collect, [])
    .option("--sort <key>", "sort by a final metric's name, created, or name (ascending; see --desc)")
    .option("--desc", "with --sort: largest first", false)
    .option("--columns <list>", "table and CSV columns: id,name,created,status,exit,duration,tags,group,trial,metrics,param.<key>,<metric>")
    .action((opts: RawLsOptions) => setAction(() => runLs(opts)));
}

async function runLs(opts: RawLsOptions): Promise<number> {
  const { root } = await findRoot(process.cwd());
  if (opts.json && opts.csv) throw new BadInputError("--json and --csv cannot be used together", "Pick one output format.");
  const { normalizeRunFilter, filterRuns } = await import("../inspect/run-filter.js"); // loaded only when used
  const { parseColumns } = await import("../inspect/run-columns.js");
  const groupStore = await import("../record/group-store.js");
  const groupId = opts.group === undefined ? null : await groupStore.resolveGroupId(root, opts.group);
  const filter = normalizeRunFilter(opts, groupId);
  const columns = opts.columns === undefined ? null : parseColumns(opts.columns, ["metrics"]);
  const groups = await readGroups(root);
  const objectives = new Map(groups.flatMap((g) => (g.manifest ? [[g.id, g.manifest.spec.metric.name] as const] : [])));
  const { listRunIds } = await import("../record/run-store.js");
  // Unfiltered and in the default order, only the newest `limit` records need reading.
  const all = await listRunIds(root);
  const ids = isPlain(filter, opts) ? all.slice(0, filter.limit) : all;
  const rows = filterRuns(await Promise.all(ids.map((id) => readRow(root, id, objectives))), filter);
  const shownGroups = isPlain(filter, opts) ? groups.slice(0, filter.limit) : groupId ? groups.filter((g) => g.id === groupId) : [];
  if (opts.csv) {
    const { exportColumns, columnText } = await import("../inspect/run-columns.js");
    const { renderCsv } = await import("../inspect/render-csv.js");
    const header = (columns ?? exportColumns(rows)).filter((c) => c !== "metrics");
    process.stdout.write(
      renderCsv(
        header,
        rows.map((r) => header.map((c) => columnText(r, c))),
      ),
    );
    return 0;
  }
  const groupSummaries = shownGroups.map(summarizeGroup);
  if (opts.json) {
    process.stdout.write(JSON.stringify(groupSummaries.length > 0 ? { runs: rows, groups: groupSummaries } : rows, null, 2) + "\n");
  } else if (rows.length === 0 && groupSummaries.length === 0) {
    process.stderr.write(
      all.length === 0 ? `no runs under ${runsFolder(root)}; capture one with: mlx capture -- <command>\n` : `no run matches the filters\n`,
    );
  } else {
    process.stdout.write(await renderRuns(rows, columns));
    if (groupSummaries.length > 0) {
      process.stdout.write(
        "\n" +
          renderTable(
            ["GROUP", "NAME", "WHEN", "STATUS", "TRIALS", "BEST"],
            groupSummaries.map((g) => [g.id, g.name, g.createdAt.replace("T", " ").slice(0, 19), g.status, g.trials, g.best]),
          ),
      );
    }
  }
  return 0;
}

/** No filter and the default order: the listing as it always was, search groups included. */
function isPlain(f: RunFilter, opts: RawLsOptions): boolean {
  return (
    f.tags.length + f.statuses.length + f.params.length + f.where.length === 0 &&
    f.name === null &&
    f.groupId === null &&
    opts.sort === undefined
  );
}

const DEFAULT_COLUMNS = ["id", "name", "created", "status", "exit", "duration", "tags", "metrics"];

async function renderRuns(rows: readonly RunRow[], columns: readonly string[] | null): Promise<string> {
  const { columnText, FIXED_COLUMNS } = await import("../inspect/run-columns.js");
  const { shownMetrics } = await import("../inspect/run-row.js");
  const chosen = columns ?? DEFAULT_COLUMNS;
  const cell = (r: RunRow, c: string): string => {
    if (c === "metrics")
      return shownMetrics(r, 3)
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join(" ");
    if (c === "created") return r.createdAt?.replace("T", " ").slice(0, 19) ?? "";
    if (c === "duration") return r.durationMs === null ? "" : formatDuration(r.durationMs);
    if (c === "tags") return r.tags.join(",");
    const text = columnText(r, c);
    const n = Number(text);
    return !(FIXED_COLUMNS as readonly string[]).includes(c) && text !== "" && Number.isFinite(n) && !c.startsWith("param.")
      ? formatMetric(n)
      : text;
  };
  const header = chosen.map((c) => (c === "created" ? "WHEN" : c.toUpperCase()));
  return renderTable(
    header,
    rows.map((r) => chosen.map((c) => cell(r, c))),
  );
}

interface GroupEntry {
  id: string;
  manifest: GroupManifest | null;
  problem?: string;
}

async function readGroups(root: string): Promise<GroupEntry[]> {
  const { groupsFolder, listGroupIds, readGroup } = await import("../record/group-store.js");
  return Promise.all(
    (await listGroupIds(root)).map(async (id): Promise<GroupEntry> => {
      try {
        return { id, manifest: await readGroup(`${groupsFolder(root)}/${id}`) };
      } catch (error) {
        return { id, manifest: null, problem: describeError(error) };
      }
    }),
  );
}

/** Search groups beside the runs: id, name, when, status, trials done, best metric. */
function summarizeGroup({ id, manifest: g, problem }: GroupEntry) {
  if (!g) return { id, name: "", createdAt: "", status: "invalid", trials: "", best: problem ?? "" };
  const done = g.trials.filter((t) => t.status !== "pending" && t.status !== "running").length;
  return {
    id,
    name: g.name,
    createdAt: g.createdAt,
    status: g.status,
    trials: `${done}/${g.trials.length}`,
    best: g.best ? `${g.spec.metric.name}=${formatMetric(g.best.metric)} (trial ${g.best.index})` : "",
  };
}

async function readRow(root: string, id: string, objectives: ReadonlyMap<string, string>): Promise<RunRow> {
  const { readRun } = await import("../record/run-store.js");
  const { runRowOf } = await import("../inspect/run-row.js");
  try {
    const m = await readRun(`${runsFolder(root)}/${id}`);
    const status = m.status === "running" && !processAlive(m.command.pid) ? "abandoned" : m.status;
    return runRowOf(m, status, m.group ? (objectives.get(m.group.id) ?? null) : null);
  } catch (error) {
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
      problem: describeError(error),
    };
  }
}
