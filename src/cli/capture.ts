import { relative } from "node:path";
import type { Command } from "commander";
import type { CaptureResult } from "../capture/capture-run.js";
import { normalizeCaptureOptions, type RawCaptureOptions } from "../capture/capture-options.js";
import { MLX_VERSION } from "./version.js";
import { collect } from "./collect.js";
import type { CommandAction } from "./main.js";
import { formatDuration, formatMetric } from "./render-table.js";

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
    .option("--no-seed-preload", "do not seed Math.random in node commands")
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
    .addHelpText("after", [
      "",
      "The command gets MLX_SEED, MLX_PARAMS (JSON), MLX_RUN_ID and MLX_METRICS_FILE in its environment.",
      "Exit code: the command's own (128+N after signal N, 127 not found, 126 not executable);",
      "2 or 3 only when mlx fails before the command starts.",
      "",
      "Example: mlx capture --seed 7 --param epochs=30 --input data/ -- node train.js",
    ].join("\n"))
    .action((command: string[], raw: RawCaptureOptions & { config?: string }) => {
      setAction(() => runCapture(command, raw));
    });
}

async function runCapture(command: string[], raw: RawCaptureOptions & { config?: string }): Promise<number> {
  const cwd = process.cwd();
  const config = raw.config ? await (await import("../capture/run-config.js")).readRunConfig(raw.config) : undefined;
  const options = normalizeCaptureOptions(raw, command, cwd, config, raw.config);
  const { captureRun } = await import("../capture/capture-run.js");
  const result = await captureRun(options, {
    echoStdout: options.json ? process.stderr : process.stdout,
    echoStderr: process.stderr,
    log: (line) => process.stderr.write(line + "\n"),
    now: () => new Date(),
    env: process.env,
    mlxVersion: MLX_VERSION,
    preloadPath: new URL("../sdk/preload.cjs", import.meta.url).pathname,
    interactive: process.stdin.isTTY === true,
  });
  if (options.json) process.stdout.write(JSON.stringify(summaryJson(result), null, 2) + "\n");
  else process.stderr.write(renderCaptureSummary(result, cwd));
  if (result.recordError) {
    process.stderr.write(`\nmlx: THE RUN RECORD WAS NOT WRITTEN: ${result.recordError}\n  The command itself finished with exit code ${result.exitCode}; free space or fix permissions under ${result.folder}.\n`);
  }
  return result.exitCode;
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
    const shown = metrics.slice(0, 8).map(([k, v]) => `${k}=${formatMetric(v)}`).join("  ");
    lines.push(`  metrics: ${shown}${metrics.length > 8 ? `  (+${metrics.length - 8} more)` : ""}`);
  }
  for (const warning of m.warnings) lines.push(`  warning: ${warning}`);
  lines.push(`  record: ${relative(cwd, result.folder) || "."}   (mlx show ${m.id})`);
  return lines.join("\n") + "\n";
}
