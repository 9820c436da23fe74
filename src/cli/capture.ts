import { relative, resolve } from "node:path";
import { type Command, Option } from "commander";
import type { CaptureResult } from "../capture/capture-run.js";
import { availableParallelism } from "node:os";
import type { InterruptSource } from "../capture/runner.js";
import { readHostProcess } from "./host-process.js";
import { parseConcurrency } from "../primitives/concurrency.js";
import { type CaptureOptions, normalizeCaptureOptions, type RawCaptureOptions } from "../capture/capture-options.js";
import { BadInputError } from "../errors.js";
import { parseSeed } from "../capture/seed.js";
import { MLX_VERSION } from "./version.js";
import { collect } from "./collect.js";
import type { CommandAction } from "./main.js";
import { formatDuration, formatMetric } from "./render-table.js";
import { signalInterrupts } from "./signal-interrupts.js";

export function registerCapture(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("capture")
    .description("run a command and record everything needed to reproduce it under .mlx/runs/<id>/")
    .argument("[command...]", "the command and its arguments, after --")
    .usage("[options] -- <command> [args...]")
    .option("--config <file>", "a run config (YAML or JSON): name, params, run, seed, inputs, outputs, metrics, env")
    .option("--param <name=value>", "a parameter, repeatable; the value is read as JSON when it is JSON", collect, [])
    .option("--params <json>", "parameters as a JSON object")
    .option("--seed <n>", "the seed (0 to 4294967295); drawn and recorded when not given")
    .option("--no-seed-preload", "do not seed Math.random in node commands and random/numpy/torch in python commands")
    .option("--name <name>", "a name for the run")
    .option("--tag <tag>", "a tag, repeatable", collect, [])
    .option("--input <path>", "a data file or folder the run reads (hashed), repeatable", collect, [])
    .option("--output <path>", "a file or folder the run writes (hashed after), repeatable", collect, [])
    .option("--metrics-file <path>", "a JSON/YAML metrics file the run writes, read at the end, repeatable", collect, [])
    .option("--env <NAME>", "also record this environment variable (secret-looking ones never are), repeatable", collect, [])
    .option("--shell", "run the command through /bin/sh -c (off: the command runs exactly as given)", false)
    .option("--no-stdout-metrics", "do not read name=value / name: value lines of stdout as metrics")
    .option("--metric-pattern <regex>", "the stdout metric pattern, with (?<name>...) and (?<value>...) groups")
    .option("--max-untracked-size <size>", "untracked files over this size are hashed, not put in the git patch", "10MiB")
    .option("--include-secret-files", "keep untracked .env, *.pem, id_rsa ... in the git patch", false)
    .option("--json", "print the summary as JSON on stdout (the command's stdout then goes to stderr)", false)
    .option("--param-space <json>", 'search groups: distributions over the config\'s param_space, e.g. \'{"lr": "uniform(0, 1)"}\'')
    .option("--concurrency <n>", "search groups: trials at once (default: the spec's, else the number of cores)")
    .option("--fail-fast", "search groups: stop starting trials after the first failure", false)
    .option("-q, --quiet", "for scripts: of mlx's own lines only errors and one naming the run (the command's output stays)", false)
    .option("--executor <name>", "search groups: where trials run, local (default) or slurm (one Slurm job per trial)")
    .option("--slurm <json>", 'search groups: the spec\'s slurm: keys to override, e.g. \'{"partition": "gpu", "time": "1:00:00"}\'')
    // What a Slurm job runs on its compute node: the trial's capture, with the run id and folder chosen by the search.
    .addOption(new Option("--run-id <id>").hideHelp())
    .addOption(new Option("--workdir <dir>").hideHelp())
    .addOption(new Option("--group-trial <group:index>").hideHelp())
    .addHelpText(
      "after",
      [
        "",
        "The command gets MLX_SEED, MLX_PARAMS (JSON), MLX_RUN_ID and MLX_METRICS_FILE in its environment.",
        "Exit code: the command's own (128+N after signal N, 127 not found, 126 not executable);",
        "2 or 3 only when mlx fails before the command starts.",
        "",
        "Example: mlx capture --seed 7 --param epochs=30 --input data/ -- node train.js",
        "A --config with param_space (or kind: group) runs a search: every trial is captured as a run,",
        "and a Group record under .mlx/groups/<id>/ ranks them by the spec's metric.",
      ].join("\n"),
    )
    .action((command: string[], raw: CaptureCliOptions) => {
      setAction(() => runCapture(command, raw));
    });
}

type CaptureCliOptions = RawCaptureOptions & {
  config?: string;
  paramSpace?: string;
  concurrency?: string;
  failFast: boolean;
  quiet?: boolean;
  executor?: string;
  slurm?: string;
  runId?: string;
  workdir?: string;
  groupTrial?: string;
};

function captureDeps(json: boolean, interrupts: InterruptSource) {
  return {
    echoStdout: json ? process.stderr : process.stdout,
    echoStderr: process.stderr,
    log: (line: string) => process.stderr.write(line + "\n"),
    now: () => new Date(),
    host: readHostProcess(),
    interrupts,
    mlxVersion: MLX_VERSION,
    preloadPath: new URL("../sdk/preload.cjs", import.meta.url).pathname,
  };
}

async function runCapture(command: string[], raw: CaptureCliOptions): Promise<number> {
  const cwd = process.cwd();
  let config;
  if (raw.config) {
    const [{ readConfigFile, validateRunConfig }, { isGroupConfig }] = await Promise.all([
      import("../capture/run-config.js"),
      import("../group/group-spec.js"),
    ]);
    const data = await readConfigFile(raw.config);
    if (isGroupConfig(data)) return runSearch(command, raw, data, cwd);
    config = validateRunConfig(data, raw.config);
  }
  const options = { ...normalizeCaptureOptions(raw, command, cwd, config, raw.config), ...parseTrialFlags(raw, cwd) };
  const { captureRun } = await import("../capture/capture-run.js");
  const result = await captureRun(options, { ...captureDeps(options.json, signalInterrupts()), interactive: process.stdin.isTTY === true });
  if (options.json) process.stdout.write(JSON.stringify(summaryJson(result), null, 2) + "\n");
  else if (raw.quiet) process.stderr.write(`mlx: run ${result.manifest.id} ${result.manifest.status}\n`);
  else process.stderr.write(renderCaptureSummary(result, cwd));
  if (result.recordError) {
    process.stderr.write(
      `\nmlx: THE RUN RECORD WAS NOT WRITTEN: ${result.recordError}\n` +
        `  The command itself finished with exit code ${result.exitCode}; free space or fix permissions under ${result.folder}.\n`,
    );
  }
  return result.exitCode;
}

/** The hidden flags a Slurm job's capture gets: the trial's run id, its folder and its place in the group. */
export function parseTrialFlags(raw: Pick<CaptureCliOptions, "runId" | "workdir" | "groupTrial">, cwd: string): Partial<CaptureOptions> {
  const trial: { -readonly [K in "runId" | "workdir" | "group"]?: CaptureOptions[K] } = {};
  if (raw.runId !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(raw.runId))
      throw new BadInputError(`--run-id '${raw.runId}' is not a run id`, "Leave it out.");
    trial.runId = raw.runId;
  }
  if (raw.workdir !== undefined) trial.workdir = resolve(cwd, raw.workdir);
  if (raw.groupTrial !== undefined) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127}):(\d{1,6})$/.exec(raw.groupTrial);
    if (!m) throw new BadInputError(`--group-trial '${raw.groupTrial}' is not <group id>:<trial index>`, "Leave it out.");
    trial.group = { id: m[1]!, trial: Number(m[2]) };
  }
  return trial;
}

function summaryJson(result: CaptureResult): object {
  const m = result.manifest;
  return {
    id: m.id,
    status: m.status,
    exitCode: result.exitCode,
    exitSource: m.outcome?.source ?? "child",
    signal: m.outcome?.signal ?? null,
    durationMs: m.outcome?.durationMs,
    record: result.folder,
    recordWritten: result.recordError === undefined,
    metrics: m.metrics?.final ?? {},
    warnings: m.warnings,
  };
}

/** The few lines printed after a capture: id, outcome, final metrics, warnings, where the record is. */
export function renderCaptureSummary(result: CaptureResult, cwd: string): string {
  const m = result.manifest;
  const o = m.outcome;
  const lines = ["", `mlx: run ${m.id} ${m.status}`];
  if (o) lines.push(`  exit ${o.exitCode}${o.signal ? ` (${o.signal})` : ""} after ${formatDuration(o.durationMs)}, seed ${m.seed.value}`);
  const metrics = Object.entries(m.metrics?.final ?? {});
  if (metrics.length > 0) {
    const shown = metrics
      .slice(0, 8)
      .map(([k, v]) => `${k}=${formatMetric(v)}`)
      .join("  ");
    lines.push(`  metrics: ${shown}${metrics.length > 8 ? `  (+${metrics.length - 8} more)` : ""}`);
  }
  for (const warning of m.warnings) lines.push(`  warning: ${warning}`);
  lines.push(`  record: ${relative(cwd, result.folder) || "."}   (mlx show ${m.id})`);
  return lines.join("\n") + "\n";
}

/** `mlx capture --config search.yaml`: a search group; the exit code sums it up (0 ran, 1 every trial failed, 130 interrupted). */
async function runSearch(command: string[], raw: CaptureCliOptions, data: unknown, cwd: string): Promise<number> {
  const [{ normalizeGroupSpec }, { runGroup }, { renderGroup }] = await Promise.all([
    import("../group/group-spec.js"),
    import("../group/run-group.js"),
    import("./render-group.js"),
  ]);
  const concurrency = raw.concurrency === undefined ? undefined : parseConcurrency(raw.concurrency);
  const spec = normalizeGroupSpec(data, raw.config!, {
    argv: command,
    ...(raw.params === undefined ? {} : { params: raw.params }),
    ...(raw.paramSpace === undefined ? {} : { paramSpace: raw.paramSpace }),
    ...(raw.seed === undefined ? {} : { seed: parseSeed(raw.seed) }),
    ...(raw.name === undefined ? {} : { name: raw.name }),
    ...(raw.executor === undefined ? {} : { executor: raw.executor }),
    ...(raw.slurm === undefined ? {} : { slurm: raw.slurm }),
    defaultConcurrency: availableParallelism(),
  });
  const base = normalizeCaptureOptions({ ...raw, param: [], params: undefined, seed: undefined }, spec.argv, cwd, {
    inputs: [...spec.inputs],
    outputs: [...spec.outputs],
    metrics: [...spec.metricFiles],
  });
  // The first SIGINT or SIGTERM stops new trials from starting; the running ones get it too, from the same source.
  const interrupts = signalInterrupts();
  let stopped = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (signal === "SIGHUP") return;
    stopped = true;
    interrupts.off(stop);
  };
  interrupts.on(stop);
  // On Slurm, each compute node runs this same mlx (node and bin/mlx on the shared filesystem) for its trial.
  const executor =
    spec.executor === "slurm"
      ? new (await import("../group/slurm-executor.js")).SlurmExecutor(cwd, {
          settings: spec.slurm,
          mlx: [process.execPath, resolve(process.argv[1]!)],
          log: (line) => process.stderr.write(line + "\n"),
        })
      : undefined;
  const result = await runGroup({ ...spec, concurrency: concurrency ?? spec.concurrency }, base, raw.failFast, {
    ...captureDeps(raw.json, interrupts),
    ...(executor ? { executor } : {}),
    stdout: raw.json ? process.stderr : process.stdout,
    stderr: process.stderr,
    stopped: () => stopped,
    pid: process.pid,
  }).finally(() => interrupts.off(stop));
  if (raw.json) process.stdout.write(JSON.stringify({ ...result.manifest, record: result.folder }, null, 2) + "\n");
  else process.stderr.write(renderGroup(result.manifest, relative(cwd, result.folder) || "."));
  return result.exitCode;
}
