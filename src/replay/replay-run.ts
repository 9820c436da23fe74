import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { OpenBundle } from "../bundle/read-bundle.js";
import type { ContainerResult, DockerClient } from "../docker/docker-client.js";
import { compareEnvironments, type HostFacts, runtimeAtReplay } from "../facts/environment-drift.js";
import { compareMetrics, compareSeries, type Tolerance, withRecordedTolerances } from "../metrics/compare-metrics.js";
import { MetricsCollector, SDK_METRICS_FILE, SERIES_FILE } from "../metrics/metrics-collector.js";
import { readSeries } from "../metrics/read-series.js";
import { compileMetricPattern, DEFAULT_METRIC_PATTERN } from "../metrics/stdout-metrics.js";
import { capWritable } from "../primitives/cap-writable.js";
import { sanitizedLines } from "../primitives/sanitize-text.js";
import { createTee } from "../primitives/tee.js";
import type { RunManifest } from "../record/types.js";
import { compareOutputs } from "./compare-outputs.js";
import { copyOriginalSeries } from "./copy-original-series.js";
import { pointsToCompare } from "./cut-at-step.js";
import { type ContainerLimits, containerEnv, containerSpecFor } from "./container-spec.js";
import { prepareMounts } from "./mounts.js";
import type { ReplayReport } from "../record/types.js";
import { prunedNote, renderDuration, verdictReasons } from "./verdict-reasons.js";
import { stopAtPrunedStep } from "./watch-step.js";

/** Each log of the container's output is cut here: its bytes are the bundle's, the disk is the reviewer's. */
export const MAX_LOG_BYTES = 64 * 1024 * 1024;

/** What every run of one replay shares. */
export interface ReplayContext {
  readonly bundlePath: string;
  readonly opened: OpenBundle;
  readonly imageId: string;
  readonly host: HostFacts;
  readonly limits: ContainerLimits;
  readonly tolerance: Tolerance;
  /** Compare only these metrics, final values and series; empty: all. Outputs and the exit code always count. */
  readonly metrics: readonly string[];
}

export interface ReplayRunDeps {
  docker: DockerClient;
  echoStdout: Writable;
  echoStderr: Writable;
  step: (line: string) => void;
  interrupted: Promise<NodeJS.Signals>;
  /**
   * Aborts at the reviewer's Ctrl-C: the phase under way (verify, load, build) stops and rejects with
   * its reason, nothing starts after it (no container either), and what replay made is removed unless --keep.
   */
  signal?: AbortSignal;
  mlxVersion: string;
}

/** One run in a hardened container, its logs and outputs under `out`, compared with its record. */
export async function replayRun(run: RunManifest, out: string, context: ReplayContext, deps: ReplayRunDeps): Promise<ReplayReport> {
  const { opened, imageId, limits } = context;
  await mkdir(out, { recursive: true });
  const mounts = await prepareMounts(opened, run, out);
  await copyOriginalSeries(opened, run, out);
  const logs = join(out, "logs");
  await mkdir(logs, { recursive: true });
  const collector = new MetricsCollector(join(out, SERIES_FILE));
  const sink = collector.stdoutSink(compileMetricPattern(DEFAULT_METRIC_PATTERN));
  const warnings: string[] = [];
  // The log files keep the raw bytes, up to a cap; what reaches the terminal is marked and sanitized.
  const log = (name: string): NodeJS.WritableStream =>
    capWritable(createWriteStream(join(logs, name)), MAX_LOG_BYTES, () =>
      warnings.push(`logs/${name} was cut at ${MAX_LOG_BYTES} bytes; the rest of the output was not kept`),
    );
  const echoStdout = sanitizedLines(deps.echoStdout);
  const echoStderr = sanitizedLines(deps.echoStderr);
  const stdout = createTee(
    [
      { stream: echoStdout, end: true },
      { stream: log("stdout.log"), end: true },
    ],
    (chunk) => sink.push(chunk),
  );
  const stderr = createTee([
    { stream: echoStderr, end: true },
    { stream: log("stderr.log"), end: true },
  ]);
  const spec = containerSpecFor(run, imageId, mounts.binds, limits);
  const dropped = containerEnv(run).dropped;
  if (dropped.length > 0) warnings.push(`the record's variables ${dropped.join(", ")} were not passed: not in the environment allowlist`);
  const network = limits.network ? "network on" : "no network";
  deps.step(
    `running ${JSON.stringify(spec.argv)} in ${spec.workdir} (image ${imageId.slice(0, 19)}, ${network}, ` +
      `time limit ${renderDuration(spec.timeoutMs)})`,
  );
  const started = Date.now();
  deps.signal?.throwIfAborted(); // the mounts took a while: a Ctrl-C meanwhile must not start the container
  const stop = stopAtPrunedStep(run, [join(out, SERIES_FILE), join(mounts.mlxDir, SDK_METRICS_FILE)], deps.interrupted);
  let result: ContainerResult;
  try {
    result = await deps.docker.run(spec, { stdout, stderr, interrupted: stop.interrupted });
  } finally {
    stop.close();
  }
  // Stopped at the pruned step, through the Ctrl-C path: not an interrupt of the reviewer's.
  if (stop.stoppedAtStep()) delete result.interruptedBy;
  const durationMs = Date.now() - started;
  await Promise.all([endOf(stdout), endOf(stderr)]);
  sink.end();

  await collector.readSdkFile(join(mounts.mlxDir, SDK_METRICS_FILE), SDK_METRICS_FILE);
  for (const [label, hostPath] of mounts.metricFiles) await collector.readMetricFile(hostPath, label, Date.now());
  const collected = await collector.close();
  warnings.push(...collected.warnings);

  const outputs = await compareOutputs(run, mounts.outputs, spec.fileSizeBytes);
  // One tolerance for the final values and the series: the reviewer's, over those recorded at capture.
  const tolerance = withRecordedTolerances(context.tolerance, run.tolerances);
  const recordedSeries = join(opened.folder, "records", "runs", run.id, run.metrics?.series ?? SERIES_FILE);
  const [recorded, replayed] = await Promise.all([readSeries(recordedSeries), readSeries(join(out, SERIES_FILE))]);
  // A pruned trial: both runs up to the step it was pruned at, and no further.
  const compared = pointsToCompare(run, recorded, replayed, collected.final);
  const { pruned } = compared;
  if (pruned?.reached) warnings.push(prunedNote(pruned.step));
  const comparison = compareMetrics(compared.finals.original, compared.finals.replay, tolerance, context.metrics);
  const only = new Set(context.metrics);
  const series = compareSeries(compared.original, compared.replay, tolerance).filter((s) => only.size === 0 || only.has(s.name));
  const originalExit = run.outcome?.exitCode ?? 0;
  warnings.push(...runWarnings(run, result, limits, comparison.rows.length, pruned?.reached === true));
  // The image's facts as pack measured them, with the thread settings this container really got.
  const drift = compareEnvironments(run, opened.manifest.image.id, {
    ...context.host,
    runtime: runtimeAtReplay(opened.manifest.image.runtime, spec.env),
  });
  const reasons = verdictReasons({
    drift,
    metrics: comparison.rows,
    series,
    outputs,
    exitCode: result.exitCode,
    originalExitCode: originalExit,
    oomKilled: result.oomKilled,
    memoryBytes: limits.memoryBytes,
    timedOut: result.timedOut === true,
    timeoutMs: spec.timeoutMs,
    interruptedBy: result.interruptedBy ?? null,
    pruned,
  });
  return {
    apiVersion: "mlx/v1",
    kind: "Replay",
    createdAt: new Date().toISOString(),
    mlxVersion: deps.mlxVersion,
    bundle: { path: context.bundlePath, imageId },
    run: run.id,
    verdict: reasons.length === 0 ? "reproduced" : "diverged",
    container: {
      exitCode: result.exitCode,
      originalExitCode: originalExit,
      oomKilled: result.oomKilled,
      durationMs,
      timeoutMs: spec.timeoutMs,
      ...(result.timedOut ? { timedOut: true } : {}),
      ...(result.interruptedBy ? { interruptedBy: result.interruptedBy } : {}),
      ...(pruned?.reached ? { prunedAt: pruned.step } : {}),
      ...(limits.keep ? { containerId: result.containerId } : {}),
    },
    metrics: comparison.rows,
    series,
    outputs,
    drift,
    warnings,
    reasons,
  };
}

/** Resolves once a tee has ended, its sinks included. */
function endOf(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    stream.end(() => resolve());
  });
}

/** What the reviewer should know about how the container ran, beside the metric table. */
function runWarnings(
  run: RunManifest,
  result: ContainerResult,
  limits: ContainerLimits,
  metricRows: number,
  stoppedAtPrunedStep: boolean,
): string[] {
  const warnings: string[] = [];
  const originalExit = run.outcome?.exitCode ?? 0;
  if (result.oomKilled) warnings.push(`the container was OOM-killed (${result.exitCode}) at --memory ${limits.memoryBytes} bytes`);
  if (result.timedOut) warnings.push("the container was stopped at its time limit (--timeout)");
  if (result.exitCode !== originalExit && !stoppedAtPrunedStep)
    warnings.push(`the command exited ${result.exitCode}; the original exited ${originalExit}`);
  if (run.gpus?.available && run.gpus.devices.length > 0 && limits.gpus === null)
    warnings.push("the original run had GPUs; this replay asked for none (--gpus all)");
  if (metricRows === 0) warnings.push("the run recorded no metrics: only the exit code and outputs were compared");
  return warnings;
}
