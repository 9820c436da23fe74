import type { Command } from "commander";
import { BadInputError } from "../errors.js";
import type { RunFilter, RawRunFilter } from "../inspect/run-filter.js";
import type { RunRow } from "../record/run-row.js";
import type { GroupSummary } from "../record/group-summary.js";
import { findRoot, runsFolder } from "../record/run-folder.js";
import { collect } from "./collect.js";
import type { CommandAction } from "./main.js";
import { formatDuration, formatMetric, renderTable } from "./render-table.js";

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
  const { listIds, resolveId } = await import("../record/record-ids.js");
  const { groupsFolder, readGroupSummaries } = await import("../record/group-summary.js");
  const groupId = opts.group === undefined ? null : await resolveId(groupsFolder(root), opts.group, "group");
  const filter = normalizeRunFilter(opts, groupId);
  const columns = opts.columns === undefined ? null : parseColumns(opts.columns, ["metrics"]);
  const plain = isPlain(filter, opts);
  const { openRunIndex } = await import("../record/run-index.js");
  // The rows come from the run index; the folder list says which runs exist. Unfiltered and in the
  // default order, only the newest `limit` rows are decoded. Every row is checked against its manifest
  // (one stat: a record edited since its index line is read again) before a filter sees it.
  const index = await openRunIndex(root);
  const checked = filterRuns(await index.fresh(await index.rows(plain ? index.ids.slice(0, filter.limit) : index.ids)), filter);
  const allGroups = await listIds(groupsFolder(root));
  const groupSet = new Set(allGroups);
  const shownIds = plain ? allGroups.slice(0, filter.limit) : groupId ? [groupId] : [];
  const trialOf = [...new Set(checked.flatMap((r) => (r.group ? [r.group.id] : [])))].filter((id) => groupSet.has(id));
  const summaries = await readGroupSummaries(root, [...new Set([...shownIds, ...trialOf])], allGroups);
  const objectives = new Map(summaries.map((g) => [g.id, g.objective]));
  const rows = checked.map((r) => (r.group ? { ...r, group: { ...r.group, objective: objectives.get(r.group.id) ?? null } } : r));
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
  const groupSummaries = summaries.filter((g) => shownIds.includes(g.id)).map(renderGroupSummary);
  if (opts.json) {
    process.stdout.write(JSON.stringify(groupSummaries.length > 0 ? { runs: rows, groups: groupSummaries } : rows, null, 2) + "\n");
  } else if (rows.length === 0 && groupSummaries.length === 0) {
    process.stderr.write(
      index.ids.length === 0
        ? `no runs under ${runsFolder(root)}; capture one with: mlx capture -- <command>\n`
        : `no run matches the filters\n`,
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

/** Search groups beside the runs: id, name, when, status, trials done, best metric. */
function renderGroupSummary(g: GroupSummary) {
  if (g.name === null) return { id: g.id, name: "", createdAt: "", status: "invalid", trials: "", best: g.problem ?? "" };
  return {
    id: g.id,
    name: g.name,
    createdAt: g.createdAt,
    status: g.status,
    trials: `${g.done}/${g.total}`,
    best: g.best ? `${g.objective}=${formatMetric(g.best.metric)} (trial ${g.best.index})` : "",
  };
}
