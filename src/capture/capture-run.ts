import { lstat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import type { Writable } from "node:stream";
import { describeError, EnvironmentError } from "../errors.js";
import { createRunFolder, findRoot, newRunId } from "../record/run-folder.js";
import { API_VERSION, type HashedPath, type Probed, type RunManifest, type RunStatus } from "../record/types.js";
import type { CaptureOptions } from "./capture-options.js";
import { hashPath } from "../primitives/hash-paths.js";
import { lexicalRecordedPath, toRecordedPath } from "../primitives/paths.js";
import { MetricsCollector, SDK_METRICS_FILE, SERIES_FILE } from "../metrics/metrics-collector.js";
import { redactArgv, selectEnv } from "../record/redact.js";
import { type ChildResult, exitCodeOf, startChild } from "./runner.js";
import { drawSeed } from "./seed.js";
import { runEnvironment } from "../bundle/run-environment.js";
import { compileMetricPattern } from "../metrics/stdout-metrics.js";

export interface CaptureDeps {
  /** The child's output is echoed here (stdout, or stderr under --json). */
  echoStdout: Writable;
  echoStderr: Writable;
  /** mlx's own messages. */
  log: (line: string) => void;
  now: () => Date;
  env: NodeJS.ProcessEnv;
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
}

export interface CaptureResult {
  exitCode: number;
  folder: string;
  manifest: RunManifest;
  /** Set when the record could not be written: the run happened, its record is incomplete. */
  recordError?: string;
}

const PROBE_TIMEOUT_MS = 5000;
const GIT_TIMEOUT_MS = 60_000;

/**
 * Runs one command and records it. Everything that can be wrong with the input fails before the
 * command starts (exit 2/3, no run folder); once it has started, its exit code is returned and a
 * record is written. The command starts first; modules, probes and hashing follow while it runs.
 */
export async function captureRun(options: CaptureOptions, deps: CaptureDeps): Promise<CaptureResult> {
  const { root, inGit } = await findRoot(options.cwd);
  const inputs = await Promise.all(options.inputs.map((p) => toRecordedPath(root, options.cwd, p, "--input")));
  const outputs = options.outputs.map((p) => lexicalRecordedPath(root, options.cwd, p, "--output", "Declare outputs inside the repository."));
  const pattern = options.metricPattern === null ? null : compileMetricPattern(options.metricPattern);
  const seed = options.seed ?? drawSeed();
  const createdAt = deps.now();
  const id = newRunId(createdAt);
  const folder = await createRunFolder(root, id).catch((error: unknown) => {
    throw new EnvironmentError(`cannot create the run record under ${join(root, ".mlx")}: ${describeError(error)}`, "Check free space and permissions there.", { cause: error });
  });

  const collector = new MetricsCollector(join(folder, SERIES_FILE));
  const stdoutSink = pattern ? collector.stdoutSink(pattern) : null;
  const child = startChild({
    argv: options.argv,
    shell: options.shell,
    cwd: options.cwd,
    env: childEnv(options, deps, id, seed, join(folder, SDK_METRICS_FILE)),
    stdoutLog: join(folder, "logs", "stdout.log"),
    stderrLog: join(folder, "logs", "stderr.log"),
    echoStdout: deps.echoStdout,
    echoStderr: deps.echoStderr,
    onStdout: (chunk) => stdoutSink?.push(chunk),
    drainTimeoutMs: options.drainTimeoutMs,
    killGraceMs: options.killGraceMs,
    ownGroup: !deps.interactive,
  });

  // From here on the command runs: the probes start beside it, then the heavier modules load.
  const cwdRel = relative(root, options.cwd).split(sep).join("/") || ".";
  const probeHere = (): Promise<Probes> => runProbes(options, deps.env, root, inGit, cwdRel, folder, inputs);
  const probes = deps.sharedProbes ? deps.sharedProbes(folder, probeHere) : probeHere();
  const { writeRun } = await import("../record/run-store.js");
  const redaction = redactArgv(options.shell ? [options.argv.join(" ")] : options.argv);
  const manifest: RunManifest = {
    apiVersion: API_VERSION,
    kind: "Run",
    id,
    ...(options.name === undefined ? {} : { name: options.name }),
    tags: [...options.tags],
    status: "running",
    createdAt: createdAt.toISOString(),
    mlxVersion: deps.mlxVersion,
    command: {
      argv: redaction.argv,
      redactedArgs: redaction.redacted,
      shell: options.shell,
      cwd: cwdRel,
      ...(child.pid === undefined ? {} : { pid: child.pid }),
    },
    params: { ...options.params },
    seed: { value: seed, source: options.seed === undefined ? "drawn" : "given", preload: options.seedPreload },
    env: selectEnv(deps.env, options.envAllow),
    inputs: [],
    outputs: [],
    logs: { stdout: "logs/stdout.log", stderr: "logs/stderr.log" },
    ...(Object.keys(options.tolerances).length > 0 ? { tolerances: { ...options.tolerances } } : {}),
    ...(options.group ? { group: { ...options.group } } : {}),
    warnings: [],
  };
  const recordErrors: string[] = [];
  // Written at start (status: running) so that even a SIGKILL of mlx leaves a record (C10).
  const firstWrite = writeRun(folder, manifest).catch((error: unknown) => void recordErrors.push(describeError(error)));

  const result = await child.result;
  stdoutSink?.end();
  await firstWrite;
  const found = await probes;

  const endedAt = result.endedAt;
  await collector.readSdkFile(join(folder, SDK_METRICS_FILE), SDK_METRICS_FILE);
  for (const file of options.metricFiles) await collector.readMetricFile(resolve(options.cwd, file), file, endedAt);
  const metrics = await collector.close();
  const hashedOutputs = await hashOutputs(root, outputs, manifest.warnings);
  const exitCode = finalExitCode(result);

  Object.assign(manifest, {
    status: statusOf(result),
    system: found.system,
    gpus: found.gpus,
    runtimes: found.runtimes,
    dependencies: found.dependencies,
    git: found.git,
    inputs: found.inputs,
    outputs: hashedOutputs,
    outcome: {
      exitCode,
      signal: result.signal,
      source: result.spawnError ? "mlx" : "child",
      endedAt: new Date(endedAt).toISOString(),
      durationMs: endedAt - createdAt.getTime(),
      ...(result.interruptedBy ? { interruptedBy: result.interruptedBy } : {}),
      notes: [...result.notes, ...(result.spawnError ? [spawnMessage(result, options.argv[0]!)] : [])],
    },
    metrics: { final: metrics.final, series: SERIES_FILE, points: metrics.points, files: [...options.metricFiles] },
  } satisfies Partial<RunManifest>);
  manifest.warnings.push(...found.warnings, ...metrics.warnings, ...recordErrors.map((e) => `first record write failed: ${e}`));

  let recordError: string | undefined;
  try {
    await writeRun(folder, manifest);
  } catch (error) {
    recordError = describeError(error);
  }
  if (result.spawnError) deps.log(`mlx: ${spawnMessage(result, options.argv[0]!)}`);
  return { exitCode, folder, manifest, ...(recordError ? { recordError } : {}) };
}

function childEnv(options: CaptureOptions, deps: CaptureDeps, id: string, seed: number, metricsFile: string): NodeJS.ProcessEnv {
  const nodePreload = options.seedPreload ? deps.preloadPath : null;
  return { ...deps.env, ...runEnvironment({ runId: id, seed, params: options.params, metricsFile, nodePreload, nodeOptions: deps.env["NODE_OPTIONS"] }) };
}

export interface Probes {
  system: RunManifest["system"];
  gpus: RunManifest["gpus"];
  git: RunManifest["git"];
  runtimes: RunManifest["runtimes"];
  dependencies: RunManifest["dependencies"];
  inputs: HashedPath[];
  warnings: string[];
}

async function runProbes(options: CaptureOptions, env: NodeJS.ProcessEnv, root: string, inGit: boolean, cwdRel: string, folder: string, inputs: string[]): Promise<Probes> {
  const [{ probe }, { probeSystem }, { probeGpus }, { probeGit }, { probeDependencies }, { probeRuntimes }] = await Promise.all([
    import("../facts/probe.js"), import("../facts/probe-system.js"), import("../facts/probe-gpu.js"), import("../facts/probe-git.js"),
    import("../facts/probe-deps.js"), import("../facts/probe-runtimes.js"),
  ]);
  const notGit: Probed<never> = { available: false, reason: `not a git repository (root taken as ${root})` };
  const [system, gpus, git, dependencies, runtimes, hashed] = await Promise.all([
    probe("system", PROBE_TIMEOUT_MS, probeSystem),
    probe("gpu", PROBE_TIMEOUT_MS, () => probeGpus(PROBE_TIMEOUT_MS)),
    inGit
      ? probe("git", GIT_TIMEOUT_MS, () => probeGit({ root, recordFolder: folder, maxUntrackedBytes: options.maxUntrackedBytes, includeSecretFiles: options.includeSecretFiles }))
      : Promise.resolve(notGit),
    probeDependencies(root, cwdRel, folder).catch((error: unknown) => ({
      lockfiles: [],
      nodeModules: { available: false as const, reason: describeError(error) },
    })),
    probeRuntimes(env, options.cwd, PROBE_TIMEOUT_MS),
    Promise.all(inputs.map((p) => hashPath(root, p))),
  ]);
  const warnings: string[] = [];
  if (git.available) {
    for (const e of git.excluded) {
      warnings.push(e.reason === "too-large"
        ? `untracked ${e.path} (${e.sizeBytes} bytes) is over --max-untracked-size: recorded by sha256, not in the patch`
        : `untracked ${e.path} looks like a secret: left out of the patch (--include-secret-files to keep it)`);
    }
  }
  return { system, gpus, git, dependencies, runtimes, inputs: hashed, warnings };
}

async function hashOutputs(root: string, outputs: string[], warnings: string[]): Promise<HashedPath[]> {
  const hashed: HashedPath[] = [];
  for (const path of outputs) {
    const info = await lstat(join(root, path)).catch(() => undefined);
    if (!info) warnings.push(`declared output ${path} was not written`);
    else if (info.isSymbolicLink()) warnings.push(`declared output ${path} is a symbolic link: not followed, not hashed`);
    else hashed.push(await hashPath(root, path));
  }
  return hashed;
}

function statusOf(result: ChildResult): RunStatus {
  if (result.spawnError) return result.spawnError.code === "ENOENT" ? "not-found" : "not-executable";
  if (result.interruptedBy) return "interrupted";
  return result.exitCode === 0 ? "succeeded" : "failed";
}

/** The child's code; after an interruption that the child swallowed (exit 0), 128+N of the signal. */
function finalExitCode(result: ChildResult): number {
  const code = exitCodeOf(result);
  if (code === 0 && result.interruptedBy) return exitCodeOf({ ...result, exitCode: null, signal: result.interruptedBy });
  return code;
}

function spawnMessage(result: ChildResult, command: string): string {
  const error = result.spawnError!;
  if (error.code === "ENOENT") {
    return command.includes("/") ? `command not found: ${command} (no such file)` : `command not found: ${command} (searched PATH)`;
  }
  if (error.isDirectory) return `cannot execute ${command}: it is a directory (EISDIR)`;
  return `cannot execute ${command}: ${error.code ?? error.message} (permission denied). Make it executable: chmod +x ${command}`;
}
