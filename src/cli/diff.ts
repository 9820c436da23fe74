import type { Command } from "commander";
import type { RunDiff } from "../inspect/diff-runs.js";
import { findRoot } from "../record/run-folder.js";
import type { CommandAction } from "./main.js";
import { parseNonNegativeFlag, toleranceOf } from "./replay.js";
import { formatMetric, renderTable } from "./render-table.js";

interface RawDiffOptions {
  json: boolean;
  rtol?: string;
  atol?: string;
}

export function registerDiff(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("diff")
    .description("compare two runs, or a run and a replay of it: command, params, seed, code, packages, environment, metrics")
    .argument("<a>", "run id, prefix, latest, a run's record folder, or a replay's folder or replay.yaml")
    .argument("<b>", "the same, for the other side")
    .option("--json", "print the comparison as JSON", false)
    .option("--rtol <x>", "relative tolerance for every metric (default as replay: 1e-6 for floats, integers exact)")
    .option("--atol <x>", "absolute tolerance for every metric (default 0)")
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing differs beyond tolerance (the environment is shown, not counted); 1 something differs; 2 bad input.",
    )
    .action((a: string, b: string, opts: RawDiffOptions) => setAction(() => runDiff(a, b, opts)));
}

async function runDiff(refA: string, refB: string, opts: RawDiffOptions): Promise<number> {
  const tol = toleranceOf(parseNonNegativeFlag(opts.rtol, "--rtol"), parseNonNegativeFlag(opts.atol, "--atol"));
  const { root } = await findRoot(process.cwd());
  const { readDiffSide } = await import("../inspect/read-diff-side.js"); // YAML and the schema load only when used
  const { diffRuns } = await import("../inspect/diff-runs.js");
  const a = await readDiffSide(root, process.cwd(), refA);
  const b = await readDiffSide(root, process.cwd(), refB);
  const diff = diffRuns(a, b, tol);
  process.stdout.write(opts.json ? JSON.stringify(diff, null, 2) + "\n" : renderDiff(diff));
  return diff.differs ? 1 : 0;
}

const cell = (v: number | string | null): string => (v === null ? "-" : formatMetric(v));

/** Facts side by side (a `*` marks a difference), then metrics with their verdicts, then where series part. */
export function renderDiff(d: RunDiff): string {
  const out: string[] = [`a: ${d.a}\nb: ${d.b}\n`];
  out.push(
    renderTable(
      ["", "SECTION", "WHAT", "A", "B"],
      d.rows.map((r) => [r.same ? "" : "*", r.section, r.what, r.a, r.b]),
    ),
  );
  if (d.metrics.length > 0) {
    out.push(
      renderTable(
        ["METRIC", "A", "B", "ABS DIFF", "VERDICT"],
        d.metrics.map((m) => [m.name, cell(m.original), cell(m.replay), m.absDiff === null ? "" : formatMetric(m.absDiff), m.verdict]),
      ),
    );
  }
  const parts = d.series.map((s) => `series ${s.name} parts at step ${s.step}: ${formatMetric(s.original)} vs ${formatMetric(s.replay)}\n`);
  if (parts.length > 0) out.push(parts.join(""));
  out.push(d.differs ? "differ: see the rows marked * and the metric verdicts\n" : "same: nothing differs beyond tolerance\n");
  return out.join("\n");
}
