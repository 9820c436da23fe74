import { join } from "node:path";
import type { Command } from "commander";
import { findRoot, runsFolder } from "../record/run-folder.js";
import { describeHost, describeProbed } from "../facts/describe-environment.js";
import type { RunManifest } from "../record/types.js";
import type { CommandAction } from "./main.js";
import { formatBytes, formatDuration, formatMetric } from "./render-table.js";

export function registerShow(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("show")
    .description("print one run's record readably (a run id, a unique prefix of one, or 'latest'), or a search group's trials ranked")
    .argument("[run]", "run id, prefix, or latest (right after a search: its group)", "latest")
    .option("--json", "print the record as JSON", false)
    .action((ref: string, opts: { json: boolean }) => setAction(() => runShow(ref, opts)));
}

async function runShow(ref: string, opts: { json: boolean }): Promise<number> {
  const { readRun } = await import("../record/run-store.js"); // loaded only when used
  const { root } = await findRoot(process.cwd());
  const groups = await import("../record/group-store.js");
  const found = await groups.resolveRecord(root, ref); // latest right after a search: the search
  // A group id (or a prefix only a group has) shows the search, its trials ranked.
  if (found.kind === "group") {
    const groupId = found.id;
    const group = await groups.readGroup(join(groups.groupsFolder(root), groupId));
    const { renderGroup } = await import("./render-group.js");
    process.stdout.write(opts.json ? JSON.stringify(group, null, 2) + "\n" : renderGroup(group, join(groups.groupsFolder(root), groupId)));
    return 0;
  }
  const folder = join(runsFolder(root), found.id);
  const manifest = await readRun(folder);
  process.stdout.write(opts.json ? JSON.stringify(manifest, null, 2) + "\n" : renderRun(manifest, folder));
  return 0;
}

/** The record as a reviewer reads it: what ran, on what, from which code and data, what came out. */
export function renderRun(m: RunManifest, folder: string): string {
  const o = m.outcome;
  const out: string[] = [];
  const section = (title: string, rows: Array<[string, string]>): void => {
    out.push(title);
    for (const [k, v] of rows) out.push(`  ${k.padEnd(12)} ${v}`);
    out.push("");
  };
  section(`Run ${m.id}${m.name ? ` (${m.name})` : ""}`, [
    ["status", m.status],
    ["command", JSON.stringify(m.command.argv) + (m.command.shell ? " (shell)" : "")],
    ["cwd", m.command.cwd],
    ["params", JSON.stringify(m.params)],
    ["seed", `${m.seed.value} (${m.seed.source}${m.seed.preload ? ", Math.random seeded" : ""})`],
    ["started", m.createdAt],
    ...(o
      ? [
          [
            "exit",
            `${o.exitCode}${o.signal ? ` (${o.signal})` : ""} from the ${o.source === "child" ? "command" : "mlx"}` +
              `, after ${formatDuration(o.durationMs)}`,
          ] as [string, string],
        ]
      : []),
    ...(o?.notes ?? []).map((n): [string, string] => ["note", n]),
    ["tags", m.tags.join(", ")],
    ...(m.group ? [["group", `${m.group.id}, trial ${m.group.trial}`] as [string, string]] : []),
  ]);
  section("Environment", [
    ...describeHost(m),
    [
      "env",
      Object.entries(m.env.vars)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") + (m.env.refused.length ? `  (refused: ${m.env.refused.join(", ")})` : ""),
    ],
    ...(m.dependencies?.lockfiles ?? []).map((l): [string, string] => ["lockfile", `${l.path} ${l.sha256.slice(0, 12)}`]),
    [
      "node_modules",
      describeProbed(m.dependencies?.nodeModules, (n) => `${n.count} packages, fingerprint ${n.fingerprint.slice(0, 12)} (${n.source})`),
    ],
  ]);
  section("Code", [
    ["git", describeProbed(m.git, (g) => `${g.commit ?? "(no commits)"} on ${g.branch ?? "(detached)"}${g.dirty ? ", dirty" : ", clean"}`)],
    ...(m.git?.available && m.git.remote ? [["remote", m.git.remote] as [string, string]] : []),
    ...(m.git?.available && m.git.patch
      ? [["patch", `${m.git.patch.file} (${formatBytes(m.git.patch.sizeBytes)})`] as [string, string]]
      : []),
    ...(m.git?.available ? m.git.excluded.map((e): [string, string] => ["left out", `${e.path} (${e.reason})`]) : []),
  ]);
  section("Data", [
    ...m.inputs.map((i): [string, string] => ["input", `${i.path} ${formatBytes(i.sizeBytes)} sha256 ${i.sha256.slice(0, 12)}`]),
    ...m.outputs.map((i): [string, string] => ["output", `${i.path} ${formatBytes(i.sizeBytes)} sha256 ${i.sha256.slice(0, 12)}`]),
  ]);
  section(
    "Metrics (final)",
    Object.entries(m.metrics?.final ?? {}).map(([k, v]): [string, string] => [k, formatMetric(v)]),
  );
  if (m.warnings.length > 0)
    section(
      "Warnings",
      m.warnings.map((w): [string, string] => ["-", w]),
    );
  out.push(`Record: ${folder}`);
  return out.join("\n") + "\n";
}
