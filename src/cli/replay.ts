import { cpus, totalmem } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { parseSize } from "../capture/capture-options.js";
import { BadInputError, describeError } from "../errors.js";
import { DEFAULT_TOLERANCE, type Tolerance } from "../metrics/compare-metrics.js";
import type { ReplayReport } from "../record/types.js";
import { collect } from "./collect.js";
import { readHostProcess } from "./host-process.js";
import type { CommandAction } from "./main.js";
import { renderReplay } from "./render-replay.js";
import { coloursFor } from "./render-colour.js";
import { stderrProgress } from "./progress.js";
import { MLX_VERSION } from "./version.js";
import { parseConcurrency } from "../primitives/concurrency.js";
import { signalExitCode } from "../primitives/signals.js";
import { parseDuration } from "../primitives/parse-duration.js";
import { sanitizeLine } from "../primitives/sanitize-text.js";
import { validateLimits } from "../replay/replay-limits.js";
import { signalInterrupts, STOP_SIGNALS } from "./signal-interrupts.js";

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
  timeout?: string;
  build: boolean;
  trial?: string;
  all: boolean;
  best: boolean;
  quiet: boolean;
  concurrency: string;
  trust?: string;
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
    .option("--memory <size>", "memory limit, at least 6MiB and at most this host's memory", "4GiB")
    .option("--timeout <duration>", "stop the container after this long: 90s, 10m, 2h (default: 10 x the recorded run, at least 10m)")
    .option("--build", "build the image from the bundled Dockerfile instead of loading image.tar", false)
    .option("--trial <n>", "group bundles: replay this trial (default: the best)")
    .option("--best", "group bundles: replay the best trial (the default, spelled out)", false)
    .option("--all", "group bundles: replay every trial; the report says whether the best is still the best", false)
    .option("--concurrency <n>", "group bundles with --all: trials replayed at once", "1")
    .option("-q, --quiet", "no progress and no step lines (for scripts): the run's own output, errors and the report", false)
    .option("--trust <allowed_signers>", "require a signature by a key in this allowed-signers file (ssh-keygen -Y verify, as git)")
    .addHelpText(
      "after",
      "\n--metric limits the metrics compared (final values and series); outputs and the exit code always count.\n" +
        "Exit codes: 0 every compared metric, the exit code and every output reproduced (no OOM, timeout or interrupt); " +
        "1 diverged (the verdict line gives every reason); 2 bad, unsafe or corrupt bundle, or usage; " +
        "3 Docker unreachable, no space, GPU asked but absent.",
    )
    .action((bundle: string, raw: RawReplayOptions) => setAction(() => runReplay(bundle, raw)));
}

/** A numeric flag (--rtol, --atol, --cpus): a number >= 0, or undefined when not given. */
export function parseNonNegativeFlag(text: string | undefined, flag: string): number | undefined {
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
  const rtol = parseNonNegativeFlag(raw.rtol, "--rtol");
  const atol = parseNonNegativeFlag(raw.atol, "--atol");
  // Limits are checked first: a bad one is exit 2 before anything is extracted or loaded.
  const limits = validateLimits(
    { cpus: parseNonNegativeFlag(raw.cpus, "--cpus") ?? cpus().length, memoryBytes: parseSize(raw.memory, "--memory") },
    { cores: cpus().length, memoryBytes: totalmem() },
  );
  const timeoutMs = raw.timeout === undefined ? null : parseDuration(raw.timeout);
  if (timeoutMs === null && raw.timeout !== undefined)
    throw new BadInputError(`--timeout must be a duration such as 90s, 10m or 2h, got '${raw.timeout}'`, "Example: --timeout 30m");
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
  if (raw.best && (raw.all || trialIndex !== undefined))
    throw new BadInputError(`--best and ${raw.all ? "--all" : "--trial"} exclude each other`, "Give one of them (--best is the default).");
  const concurrency = parseConcurrency(raw.concurrency, "--concurrency");
  const trust = raw.trust === undefined ? null : resolve(raw.trust);
  if (trust !== null && !existsSync(trust))
    throw new BadInputError(
      `--trust ${raw.trust}: no such file`,
      "Give an allowed-signers file (the format of git's gpg.ssh.allowedSignersFile).",
    );
  const bundle = resolve(bundleArg);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  const out = resolve(raw.out ?? join(dirname(bundle), `${basename(bundle, ".tar")}.replay-${stamp}`));
  const [{ replayBundle }, { DockerodeClient }] = await Promise.all([
    import("../replay/replay-bundle.js"),
    import("../docker/docker-client.js"),
  ]);
  // The first stop signal aborts whichever phase runs (verify, load, build, the container), and replay
  // removes what it made; later signals are ignored, so that a second Ctrl-C cannot cut that clean-up
  // short. Stopped in the container, the report is still written, as diverged (interrupted).
  const progress = stderrProgress(raw.quiet);
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy) return void process.stderr.write(`mlx: ${signal} again: still removing what replay made, please wait\n`);
    stoppedBy = signal;
    progress.close();
    process.stderr.write(`mlx: ${signal}: stopping the replay and removing what it made\n`);
    stop.abort(new Error(`replay interrupted by ${signal}`));
  };
  const interrupted = new Promise<NodeJS.Signals>((resolveSignal) =>
    stop.signal.addEventListener("abort", () => resolveSignal(stoppedBy!), { once: true }),
  );
  const interrupts = signalInterrupts(STOP_SIGNALS);
  interrupts.on(onSignal);
  let report: ReplayReport;
  try {
    report = await replayBundle(
      {
        bundle,
        out,
        tolerance: toleranceOf(rtol, atol),
        metrics: raw.metric,
        keep: raw.keep,
        network: raw.network,
        gpus,
        cpus: limits.cpus,
        memoryBytes: limits.memoryBytes,
        timeoutMs,
        build: raw.build,
        trials: raw.all ? "all" : (trialIndex ?? "best"),
        concurrency,
        trust,
      },
      {
        docker: new DockerodeClient(process.env, { signal: stop.signal }),
        host: readHostProcess(),
        echoStdout: raw.json ? process.stderr : process.stdout,
        echoStderr: process.stderr,
        step: (line) => progress.step(sanitizeLine(line)),
        progress: (event) => progress.update(event),
        interrupted,
        signal: stop.signal,
        mlxVersion: MLX_VERSION,
      },
    );
  } catch (error) {
    // Interrupted where no report can be written (before the container, between trials): what replay
    // made is removed, and the exit code is the shell's for the signal.
    if (stoppedBy === undefined) throw error;
    if (error !== stop.signal.reason) process.stderr.write(`mlx: while stopping: ${describeError(error)}\n`);
    return signalExitCode(stoppedBy);
  } finally {
    progress.close();
    interrupts.off(onSignal);
  }
  if (raw.json) process.stdout.write(JSON.stringify({ ...report, record: join(out, "replay.yaml") }, null, 2) + "\n");
  else process.stdout.write(renderReplay(report, out, coloursFor(process.stdout)));
  if (report.container.interruptedBy) return signalExitCode(report.container.interruptedBy as NodeJS.Signals);
  return report.verdict === "reproduced" ? 0 : 1;
}
