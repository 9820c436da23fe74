import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { Writable } from "node:stream";
import { PYTHON_IMPORTS_FILE, runEnvironment } from "../bundle/run-environment.js";
import { BadInputError, describeError, EnvironmentError } from "../errors.js";
import type { HostProcess } from "../facts/host-process.js";
import { MetricsCollector, SDK_METRICS_FILE, SERIES_FILE } from "../metrics/metrics-collector.js";
import { compileMetricPattern } from "../metrics/stdout-metrics.js";
import { lexicalRecordedPath, toRecordedPath } from "../primitives/paths.js";
import { createRunFolder, findRoot, newRunId } from "../record/run-folder.js";
import type { RunManifest } from "../record/types.js";
import type { CaptureOptions } from "./capture-options.js";
import { hashOutputs, type Probes, probeForCapture } from "./capture-probes.js";
import { finalExitCode, finishRunManifest, spawnMessage, startRunManifest } from "./run-record.js";
import { type InterruptSource, startChild } from "./runner.js";
import { drawSeed } from "./seed.js";
import { redactedValues } from "../record/redact.js";
import { scrubFile } from "./scrub-logs.js";

export interface CaptureDeps {
  /** The child's output is echoed here (stdout, or stderr under --json). */
  echoStdout: Writable;
  echoStderr: Writable;
  /** mlx's own messages. */
  log: (line: string) => void;
  now: () => Date;
  /** The process mlx runs in: the environment the command inherits, and what the probes read. */
  host: HostProcess;
  /** Requests to stop (mlx's signals), forwarded to the command. */
  interrupts: InterruptSource;
  mlxVersion: string;
  /** The seeding preload (dist/sdk/preload.cjs). */
  preloadPath: string;
  /** stdin is a terminal: keep the child in the terminal's process group (see runner.ts). */
  interactive: boolean;
  /**
   * For the trials of a search: probes taken once for the whole group (the host, the code state,
   * the dependencies and the inputs do not change between trials), with the files they record
   * copied into each trial's record folder.
   */
  sharedProbes?: (folder: string, probeHere: () => Promise<Probes>) => Promise<Probes>;
  /** Called once the command has ended, while its record is still being finished (a search starts its next trial then). */
  onCommandEnd?: () => void;
}

export interface CaptureResult {
  exitCode: number;
  folder: string;
  manifest: RunManifest;
  /** Set when the record could not be written: the run happened, its record is incomplete. */
  recordError?: string;
}

/**
 * Runs one command and records it. Everything that can be wrong with the input fails before the
 * command starts (exit 2/3, no run folder); once it has started, its exit code is returned and a
 * record is written. The command starts first; modules, probes and hashing follow while it runs.
 */
export async function captureRun(given: CaptureOptions, deps: CaptureDeps): Promise<CaptureResult> {
  const { root, inGit } = await findRoot(given.cwd);
  const options = { ...given, metricFiles: given.metricFiles.map((p) => checkMetricFile(root, given.cwd, p)) };
  const inputs = await Promise.all(options.inputs.map((p) => toRecordedPath(root, options.cwd, p, "--input")));
  const outputs = options.outputs.map((p) =>
    lexicalRecordedPath(root, options.cwd, p, "--output", "Declare outputs inside the repository."),
  );
  const pattern = options.metricPattern === null ? null : compileMetricPattern(options.metricPattern);
  const seed = options.seed ?? drawSeed();
  const createdAt = deps.now();
  const id = options.runId ?? newRunId(createdAt);
  // A trial runs in its own copy of the tree: the command, its outputs and metric files live there.
  const workdir = options.workdir ?? options.cwd;
  const workRoot = resolve(workdir, relative(options.cwd, root));
  const folder = await createRunFolder(root, id).catch((error: unknown) => {
    throw new EnvironmentError(
      `cannot create the run record under ${join(root, ".mlx")}: ${describeError(error)}`,
      "Check free space and permissions there.",
      { cause: error },
    );
  });

  const collector = new MetricsCollector(join(folder, SERIES_FILE));
  const stdoutSink = pattern ? collector.stdoutSink(pattern) : null;
  const child = startChild({
    argv: options.argv,
    shell: options.shell,
    cwd: workdir,
    env: childEnv(options, deps, id, seed, folder),
    stdoutLog: join(folder, "logs", "stdout.log"),
    stderrLog: join(folder, "logs", "stderr.log"),
    echoStdout: deps.echoStdout,
    echoStderr: deps.echoStderr,
    onStdout: (chunk) => stdoutSink?.push(chunk),
    interrupts: deps.interrupts,
    drainTimeoutMs: options.drainTimeoutMs,
    killGraceMs: options.killGraceMs,
    ownGroup: !deps.interactive,
  });

  // From here on the command runs: the probes start beside it, then the heavier modules load.
  const cwdRel = relative(root, options.cwd).split(sep).join("/") || ".";
  const probeHere = (): Promise<Probes> =>
    probeForCapture({
      host: deps.host,
      root,
      cwd: options.cwd,
      cwdRel,
      inGit,
      recordFolder: folder,
      inputs,
      maxUntrackedBytes: options.maxUntrackedBytes,
      includeSecretFiles: options.includeSecretFiles,
      command: { argv: options.argv, shell: options.shell, cwd: workdir },
    });
  const probes = deps.sharedProbes ? deps.sharedProbes(folder, probeHere) : probeHere();
  const { writeRun } = await import("../record/run-store.js");
  const started = startRunManifest(options, {
    id,
    createdAt,
    seed,
    cwdRel,
    pid: child.pid,
    env: { ...deps.host.env, ...options.extraEnv },
    mlxVersion: deps.mlxVersion,
  });
  const recordErrors: string[] = [];
  const firstWrite = writeRun(folder, started).catch((error: unknown) => void recordErrors.push(describeError(error)));

  const result = await child.result;
  deps.onCommandEnd?.();
  stdoutSink?.end();
  await firstWrite;
  // What the run imported, noted by the Python preload at exit: only then is the list complete.
  const { readPythonImports, withImported } = await import("../facts/probe-python.js");
  const probed = await probes;
  const imported = probed.python?.available ? await readPythonImports(join(folder, PYTHON_IMPORTS_FILE)) : null;
  const found = probed.python ? { ...probed, python: withImported(probed.python, imported) } : probed;

  await collector.readSdkFile(join(folder, SDK_METRICS_FILE), SDK_METRICS_FILE);
  for (const file of options.metricFiles) await collector.readMetricFile(resolve(workdir, file), file, result.endedAt);
  const metrics = await collector.close();
  const hashed = await hashOutputs(workRoot, outputs);
  const manifest = finishRunManifest(started, options, { result, probes: found, metrics, outputs: hashed, recordErrors });
  // A secret param the command printed must not stay in the logs that pack ships.
  const secrets = redactedValues(options.params, started.params);
  for (const log of [manifest.logs.stdout, manifest.logs.stderr]) {
    const replaced = await scrubFile(join(folder, log), secrets).catch((error: unknown) => {
      manifest.warnings.push(`could not remove secret params from ${log}: ${describeError(error)}`);
      return 0;
    });
    if (replaced > 0) manifest.warnings.push(`${log}: ${replaced} occurrence(s) of secret params replaced by ***`);
  }

  let recordError: string | undefined;
  try {
    await writeRun(folder, manifest);
  } catch (error) {
    recordError = describeError(error);
  }
  if (result.spawnError) deps.log(`mlx: ${spawnMessage(result, options.argv[0]!)}`);
  return { exitCode: finalExitCode(result), folder, manifest, ...(recordError ? { recordError } : {}) };
}

/**
 * A metrics file is recorded relative to the working folder (replay reads it there), so it must lie
 * in that folder or below it, inside the repository. Checked before the command starts: a record
 * naming one elsewhere could not be written after the run.
 */
function checkMetricFile(root: string, cwd: string, given: string): string {
  const hint = "Have the run write its metrics file in the working folder or below it.";
  lexicalRecordedPath(root, cwd, given, "--metrics-file", hint);
  const rel = relative(cwd, resolve(cwd, given)).split(sep).join("/");
  if (rel === "" || rel === ".." || rel.startsWith("../") || isAbsolute(rel)) {
    throw new BadInputError(`--metrics-file ${given} is outside the working folder ${cwd}`, hint);
  }
  return rel;
}

/** The command's environment: mlx's own, plus the run environment contract (seed, params, metrics file, preload). */
function childEnv(options: CaptureOptions, deps: CaptureDeps, id: string, seed: number, folder: string): NodeJS.ProcessEnv {
  const nodePreload = options.seedPreload ? deps.preloadPath : null;
  const env = deps.host.env;
  return {
    ...env,
    ...options.extraEnv,
    ...runEnvironment({
      runId: id,
      seed,
      params: options.params,
      metricsFile: join(folder, SDK_METRICS_FILE),
      nodePreload,
      nodeOptions: env["NODE_OPTIONS"],
      // sitecustomize.py and the mlxrun SDK sit in python/ beside the node preload (dist/sdk/python/).
      pythonDir: join(dirname(deps.preloadPath), "python"),
      pythonSeeding: options.seedPreload,
      pythonPath: env["PYTHONPATH"],
      pythonImportsFile: join(folder, PYTHON_IMPORTS_FILE),
    }),
  };
}
