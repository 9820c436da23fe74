import type { CollectedMetrics } from "../metrics/metrics-collector.js";
import { SERIES_FILE } from "../metrics/metrics-collector.js";
import { redactArgv, redactParams, selectEnv } from "../record/redact.js";
import { API_VERSION, type HashedPath, type RunManifest, type RunStatus } from "../record/types.js";
import type { CaptureOptions } from "./capture-options.js";
import type { Probes } from "./capture-probes.js";
import { type ChildResult, exitCodeOf } from "./runner.js";

/** What is known once the command has started. */
export interface RunStart {
  id: string;
  createdAt: Date;
  seed: number;
  /** The working folder relative to the repository root. */
  cwdRel: string;
  pid: number | undefined;
  env: NodeJS.ProcessEnv;
  mlxVersion: string;
}

/** The record as first written, while the command runs: so that even a SIGKILL of mlx leaves one. */
export function startRunManifest(options: CaptureOptions, start: RunStart): RunManifest {
  const redaction = redactArgv(options.shell ? [options.argv.join(" ")] : options.argv);
  // The command still gets the real values (MLX_PARAMS); only the record holds "***", and replay refuses it.
  const params = redactParams(options.params);
  return {
    apiVersion: API_VERSION,
    kind: "Run",
    id: start.id,
    ...(options.name === undefined ? {} : { name: options.name }),
    tags: [...options.tags],
    status: "running",
    createdAt: start.createdAt.toISOString(),
    mlxVersion: start.mlxVersion,
    command: {
      argv: redaction.argv,
      redactedArgs: redaction.redacted,
      shell: options.shell,
      cwd: start.cwdRel,
      ...(start.pid === undefined ? {} : { pid: start.pid }),
    },
    params: params.value as Record<string, unknown>,
    seed: { value: start.seed, source: options.seed === undefined ? "drawn" : "given", preload: options.seedPreload },
    env: selectEnv(start.env, options.envAllow),
    inputs: [],
    outputs: [],
    logs: { stdout: "logs/stdout.log", stderr: "logs/stderr.log" },
    ...(Object.keys(options.tolerances).length > 0 ? { tolerances: { ...options.tolerances } } : {}),
    ...(options.group ? { group: { ...options.group } } : {}),
    warnings: params.paths.map(
      (p) =>
        `param ${p} looks secret: recorded as "***" (replay cannot supply it; pass secrets in the environment). ` +
        "The command got the real value; mlx replaces it with *** in the logs it keeps",
    ),
  };
}

/** What is known once the command has ended and its output is read. */
export interface RunEnd {
  result: ChildResult;
  probes: Probes;
  metrics: CollectedMetrics;
  outputs: { hashed: HashedPath[]; warnings: string[] };
  /** Why the first write of the record failed, if it did. */
  recordErrors: readonly string[];
}

/** The complete record: outcome, probes, metrics and hashed outputs added to the one first written. */
export function finishRunManifest(started: RunManifest, options: CaptureOptions, end: RunEnd): RunManifest {
  const { result, probes, metrics } = end;
  const notes = [...result.notes, ...(result.spawnError ? [spawnMessage(result, options.argv[0]!)] : [])];
  return {
    ...started,
    status: statusOf(result),
    seed: { ...started.seed, preloads: appliedPreloads(options.seedPreload, probes.pythonCommand === true) },
    system: probes.system,
    gpus: probes.gpus,
    runtimes: probes.runtimes,
    dependencies: probes.dependencies,
    ...(probes.python ? { python: probes.python } : {}),
    git: probes.git,
    inputs: probes.inputs,
    outputs: end.outputs.hashed,
    outcome: {
      exitCode: finalExitCode(result),
      signal: result.signal,
      source: result.spawnError ? "mlx" : "child",
      endedAt: new Date(result.endedAt).toISOString(),
      durationMs: result.endedAt - Date.parse(started.createdAt),
      ...(result.interruptedBy ? { interruptedBy: result.interruptedBy } : {}),
      notes,
    },
    metrics: { final: metrics.final, series: SERIES_FILE, points: metrics.points, files: [...options.metricFiles] },
    warnings: [
      ...started.warnings,
      ...end.outputs.warnings,
      ...probes.warnings,
      ...metrics.warnings,
      ...end.recordErrors.map((e) => `first record write failed: ${e}`),
    ],
  };
}

/**
 * Which seeding preload did something: a Python command reads PYTHONPATH (the sitecustomize), any
 * other command is taken as node's (NODE_OPTIONS reaches every node process it starts).
 */
export function appliedPreloads(seedPreload: boolean, pythonCommand: boolean): NonNullable<RunManifest["seed"]["preloads"]> {
  return [
    { runtime: "node", applied: seedPreload && !pythonCommand },
    { runtime: "python", applied: seedPreload && pythonCommand },
  ];
}

export function statusOf(result: ChildResult): RunStatus {
  if (result.spawnError) return result.spawnError.code === "ENOENT" ? "not-found" : "not-executable";
  if (result.interruptedBy) return "interrupted";
  return result.exitCode === 0 ? "succeeded" : "failed";
}

/** The child's code; after an interruption that the child swallowed (exit 0), 128+N of the signal. */
export function finalExitCode(result: ChildResult): number {
  const code = exitCodeOf(result);
  if (code === 0 && result.interruptedBy) return exitCodeOf({ ...result, exitCode: null, signal: result.interruptedBy });
  return code;
}

/** What to tell the user when the command could not start. */
export function spawnMessage(result: ChildResult, command: string): string {
  const error = result.spawnError!;
  if (error.code === "ENOENT") {
    return command.includes("/") ? `command not found: ${command} (no such file)` : `command not found: ${command} (searched PATH)`;
  }
  if (error.isDirectory) return `cannot execute ${command}: it is a directory (EISDIR)`;
  return `cannot execute ${command}: ${error.code ?? error.message} (permission denied). Make it executable: chmod +x ${command}`;
}
