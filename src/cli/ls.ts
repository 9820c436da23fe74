import type { Command } from "commander";
import { describeError } from "../errors.js";
import { findRoot, runsFolder } from "../record/run-folder.js";
import type { RunManifest } from "../record/types.js";
import type { CommandAction } from "./main.js";
import { formatDuration, formatMetric, renderTable } from "./render-table.js";
import { processAlive } from "../primitives/process-alive.js";

export function registerLs(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("ls")
    .description("list the recorded runs, newest first")
    .option("--json", "print the list as JSON", false)
    .option("-n, --limit <n>", "show at most n runs", "50")
    .action((opts: { json: boolean; limit: string }) => setAction(() => runLs(opts)));
}

interface RunRow {
  id: string;
  name: string | null;
  createdAt: string | null;
  status: string;
  exitCode: number | null;
  durationMs: number | null;
  metrics: Record<string, number | string>;
  problem?: string;
}

async function runLs(opts: { json: boolean; limit: string }): Promise<number> {
  const { root } = await findRoot(process.cwd());
  const limit = Math.max(1, Number.parseInt(opts.limit, 10) || 50);
  const { listRunIds } = await import("../record/run-store.js"); // YAML and the schema load only when used
  const ids = (await listRunIds(root)).slice(0, limit);
  const rows = await Promise.all(ids.map((id) => readRow(root, id)));
  const groups = await groupRows(root, limit);
  if (opts.json) {
    process.stdout.write(JSON.stringify(groups.length > 0 ? { runs: rows, groups } : rows, null, 2) + "\n");
  } else if (rows.length === 0 && groups.length === 0) {
    process.stderr.write(`no runs under ${runsFolder(root)}; capture one with: mlx capture -- <command>\n`);
  } else {
    process.stdout.write(
      renderTable(
        ["ID", "NAME", "WHEN", "STATUS", "EXIT", "DURATION", "METRICS"],
        rows.map((r) => [
          r.id,
          r.name ?? "",
          r.createdAt?.replace("T", " ").slice(0, 19) ?? "",
          r.status,
          r.exitCode === null ? "" : String(r.exitCode),
          r.durationMs === null ? "" : formatDuration(r.durationMs),
          Object.entries(r.metrics)
            .slice(0, 3)
            .map(([k, v]) => `${k}=${formatMetric(v)}`)
            .join(" "),
        ]),
      ),
    );
    if (groups.length > 0) {
      process.stdout.write(
        "\n" +
          renderTable(
            ["GROUP", "NAME", "WHEN", "STATUS", "TRIALS", "BEST"],
            groups.map((g) => [g.id, g.name, g.createdAt.replace("T", " ").slice(0, 19), g.status, g.trials, g.best]),
          ),
      );
    }
  }
  return 0;
}

/** Search groups beside the runs: id, name, when, status, trials done, best metric. */
async function groupRows(root: string, limit: number) {
  const { groupsFolder, listGroupIds, readGroup } = await import("../record/group-store.js");
  const ids = (await listGroupIds(root)).slice(0, limit);
  return Promise.all(
    ids.map(async (id) => {
      try {
        const g = await readGroup(`${groupsFolder(root)}/${id}`);
        const done = g.trials.filter((t) => t.status !== "pending" && t.status !== "running").length;
        return {
          id,
          name: g.name,
          createdAt: g.createdAt,
          status: g.status,
          trials: `${done}/${g.trials.length}`,
          best: g.best ? `${g.spec.metric.name}=${formatMetric(g.best.metric)} (trial ${g.best.index})` : "",
        };
      } catch (error) {
        return { id, name: "", createdAt: "", status: "invalid", trials: "", best: describeError(error) };
      }
    }),
  );
}

async function readRow(root: string, id: string): Promise<RunRow> {
  const { readRun } = await import("../record/run-store.js");
  let m: RunManifest;
  try {
    m = await readRun(`${runsFolder(root)}/${id}`);
  } catch (error) {
    return {
      id,
      name: null,
      createdAt: null,
      status: "invalid",
      exitCode: null,
      durationMs: null,
      metrics: {},
      problem: describeError(error),
    };
  }
  return {
    id,
    name: m.name ?? null,
    createdAt: m.createdAt,
    status: m.status === "running" && !processAlive(m.command.pid) ? "abandoned" : m.status,
    exitCode: m.outcome?.exitCode ?? null,
    durationMs: m.outcome?.durationMs ?? null,
    metrics: m.metrics?.final ?? {},
  };
}
