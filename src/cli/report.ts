import type { Command } from "commander";
import type { CommandAction } from "./main.js";

export function registerReport(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("report")
    .description("write one self-contained HTML page with plots for a run, a search group or a replay (its folder or replay.yaml)")
    .argument("[target]", "run or group id (a unique prefix, or latest), a replay folder, or its replay.yaml", "latest")
    .option("-o, --out <file>", "where to write the page (default: report.html beside a replay, else in the current folder)")
    .option("--json", "print {kind, path} as JSON", false)
    .action((target: string, opts: { out?: string; json: boolean }) => setAction(() => runReport(target, opts)));
}

async function runReport(target: string, opts: { out?: string; json: boolean }): Promise<number> {
  // The report stage loads vega only when a page is rendered: no other command pays for it.
  const { writeReport } = await import("../report/write-report.js");
  const written = await writeReport({ target, cwd: process.cwd(), out: opts.out ?? null });
  process.stdout.write(opts.json ? JSON.stringify(written) + "\n" : `${written.path}\n`);
  return 0;
}
