import { cpus } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseSize } from "../capture/capture-options.js";
import { BadInputError } from "../errors.js";
import { DEFAULT_TOLERANCE, type Tolerance } from "../metrics/compare-metrics.js";
import type { ReplayReport } from "../record/types.js";
import { collect } from "./collect.js";
import { readHostProcess } from "./host-process.js";
import type { CommandAction } from "./main.js";
import { formatMetric, renderTable } from "./render-table.js";
import { MLX_VERSION } from "./version.js";
import { parseConcurrency } from "../primitives/concurrency.js";
import { signalExitCode } from "../primitives/signals.js";

interface RawReplayOptions {
  rtol?: string;
  atol?: string;
  metric: string[];
  json: boolean;
  out?: string;
  keep: boolean;
  network: boolean;
  gpus?: string;
  cpus?: string;
  memory: string;
  build: boolean;
  trial?: string;
  all: boolean;
  concurrency: string;
}

export function registerReplay(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("replay")
    .description("re-run a bundle in a hardened container and say, metric by metric, whether it reproduced")
    .argument("<bundle>", "a bundle.tar made by mlx pack (treated as untrusted)")
    .option("--rtol <x>", `relative tolerance for every metric (default: ${DEFAULT_TOLERANCE.rtol} for floats, integers exact)`)
    .option("--atol <x>", `absolute tolerance for every metric (default ${DEFAULT_TOLERANCE.atol})`)
    .option("--metric <name>", "compare only this metric, repeatable", collect, [])
    .option("--json", "print the report as JSON on stdout (the run's output goes to stderr)", false)
    .option("--out <dir>", "a new folder for the replay's record, logs and outputs (default: beside the bundle)")
    .option("--keep", "keep the container, the loaded image and the extracted bundle", false)
    .option("--network", "give the container a network (default: none)", false)
    .option("--gpus <all|N>", "request NVIDIA GPUs the Docker way")
    .option("--cpus <n>", "CPU limit (default: this host's cores)")
    .option("--memory <size>", "memory limit", "4GiB")
    .option("--build", "build the image from the bundled Dockerfile instead of loading image.tar", false)
    .option("--trial <n>", "group bundles: replay this trial (default: the best)")
    .option("--all", "group bundles: replay every trial; the report says whether the best is still the best", false)
    .option("--concurrency <n>", "group bundles with --all: trials replayed at once", "1")
    .addHelpText(
      "after",
      "\nExit codes: 0 every compared metric reproduced; 1 diverged; 2 bad, unsafe or corrupt bundle, or usage; " +
        "3 Docker unreachable, no space, GPU asked but absent.",
    )
    .action((bundle: string, raw: RawReplayOptions) => setAction(() => runReplay(bundle, raw)));
}

function number(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0)
    throw new BadInputError(`${flag} must be a number >= 0, got '${text}'`, `Example: ${flag} 1e-4`);
  return value;
}

/** The reviewer's --rtol/--atol over the one default; given either, integers are compared with it too. */
export function toleranceOf(rtol: number | undefined, atol: number | undefined): Tolerance {
  return {
    ...DEFAULT_TOLERANCE,
    rtol: rtol ?? DEFAULT_TOLERANCE.rtol,
    atol: atol ?? DEFAULT_TOLERANCE.atol,
    explicit: rtol !== undefined || atol !== undefined,
  };
}

async function runReplay(bundleArg: string, raw: RawReplayOptions): Promise<number> {
  const rtol = number(raw.rtol, "--rtol");
  const atol = number(raw.atol, "--atol");
  const cpuLimit = number(raw.cpus, "--cpus") ?? cpus().length;
  const gpus = raw.gpus === undefined ? null : raw.gpus === "all" ? "all" : Number.parseInt(raw.gpus, 10);
  if (gpus !== null && gpus !== "all" && !(gpus > 0))
    throw new BadInputError(`--gpus must be 'all' or a count, got '${raw.gpus}'`, "Example: --gpus all");
  const trialIndex = raw.trial === undefined ? undefined : Number(raw.trial);
  if (trialIndex !== undefined && !(Number.isInteger(trialIndex) && trialIndex >= 0))
    throw new BadInputError(
      `--trial must be a trial index (0, 1, ...), got '${raw.trial}'`,
      "See the trials with: tar -xOf bundle.tar bundle.yaml",
    );
  if (trialIndex !== undefined && raw.all) throw new BadInputError("--trial and --all exclude each other", "Give one of them.");
  const concurrency = parseConcurrency(raw.concurrency, "--concurrency");
  const bundle = resolve(bundleArg);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const out = resolve(raw.out ?? join(dirname(bundle), `${basename(bundle, ".tar")}.replay-${stamp}`));
  const [{ replayBundle }, { DockerodeClient }] = await Promise.all([
    import("../replay/replay-bundle.js"),
    import("../docker/docker-client.js"),
  ]);
  // Ctrl-C stops and removes the container; the report is then written as diverged (interrupted).
  const interrupted = new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once("SIGINT", () => resolveSignal("SIGINT"));
    process.once("SIGTERM", () => resolveSignal("SIGTERM"));
  });
  const report = await replayBundle(
    {
      bundle,
      out,
      tolerance: toleranceOf(rtol, atol),
      metrics: raw.metric,
      keep: raw.keep,
      network: raw.network,
      gpus,
      cpus: cpuLimit,
      memoryBytes: parseSize(raw.memory, "--memory"),
      build: raw.build,
      trials: raw.all ? "all" : (trialIndex ?? "best"),
      concurrency,
    },
    {
      docker: new DockerodeClient(process.env),
      host: readHostProcess(),
      echoStdout: raw.json ? process.stderr : process.stdout,
      echoStderr: process.stderr,
      step: (line) => process.stderr.write(`${line}\n`),
      interrupted,
      mlxVersion: MLX_VERSION,
    },
  );
  if (raw.json) process.stdout.write(JSON.stringify({ ...report, record: join(out, "replay.yaml") }, null, 2) + "\n");
  else process.stdout.write(renderReplay(report, out));
  if (report.container.interruptedBy) return signalExitCode(report.container.interruptedBy as NodeJS.Signals);
  return report.verdict === "reproduced" ? 0 : 1;
}

const cell = (v: number | string | null): string => (v === null ? "-" : formatMetric(v));

/** The reviewer's verdict: metrics, series, outputs, environment drift. */
export function renderReplay(r: ReplayReport, out: string): string {
  const lines: string[] = [""];
  lines.push(
    renderTable(
      ["METRIC", "ORIGINAL", "REPLAY", "ABS DIFF", "REL DIFF", "VERDICT"],
      r.metrics.map((m) => [
        m.name,
        cell(m.original),
        cell(m.replay),
        m.absDiff === null ? "-" : m.absDiff.toExponential(2),
        m.relDiff === null ? "-" : m.relDiff.toExponential(2),
        m.reason ? `${m.verdict}: ${m.reason}` : m.verdict,
      ]),
    ),
  );
  for (const s of r.series) {
    const steps = s.lengths ? ` (steps: ${s.lengths[0]} vs ${s.lengths[1]})` : "";
    lines.push(`series ${s.name}: first divergence at step ${s.step}: ${cell(s.original)} -> ${cell(s.replay)}${steps}`);
  }
  if (r.outputs.length > 0) {
    lines.push(
      "",
      renderTable(
        ["OUTPUT", "ORIGINAL", "REPLAY", "VERDICT"],
        r.outputs.map((o) => [
          o.path,
          o.original.slice(0, 12),
          o.replay?.slice(0, 12) ?? "-",
          o.reason ? `${o.verdict}: ${o.reason}` : o.verdict,
        ]),
      ),
    );
  }
  lines.push(
    "",
    renderTable(
      ["ENVIRONMENT", "ORIGINAL", "REPLAY", ""],
      r.drift.map((d) => [d.what, d.original, d.replay, d.same ? "" : "differs"]),
    ),
  );
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.group) {
    const g = r.group;
    lines.push(
      "",
      `group ${g.id}: ${g.metric} of each replayed trial`,
      renderTable(
        ["TRIAL", "ORIGINAL", "REPLAY", "VERDICT", "RUN"],
        g.trials.map((t) => [String(t.index), cell(t.original), cell(t.replay), t.verdict, t.run]),
      ),
    );
    if (g.best.stillBest !== null)
      lines.push(
        g.best.stillBest
          ? `the best trial (${g.best.original}) is still the best`
          : `the best trial changed: ${g.best.original} originally, ${g.best.replay} in the replay`,
      );
    if (g.spearman !== null) lines.push(`rank correlation (Spearman) of ${g.metric}, original vs replay: ${g.spearman.toFixed(3)}`);
  }
  const diverged = r.metrics.filter((m) => m.verdict !== "same" && m.verdict !== "within").map((m) => m.name);
  lines.push(
    "",
    r.verdict === "reproduced"
      ? `REPRODUCED: ${r.metrics.length} metric(s) within tolerance, exit code ${r.container.exitCode} as recorded.`
      : `DIVERGED: ${diverged.length > 0 ? diverged.join(", ") : "see the warnings above"}.`,
    `record: ${join(out, "replay.yaml")}`,
    "",
  );
  return lines.join("\n");
}
