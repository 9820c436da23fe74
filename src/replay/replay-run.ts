import { createWriteStream } from "node:fs";
import { lstat, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Writable } from "node:stream";
import type { OpenBundle } from "../bundle/read-bundle.js";
import type { ContainerResult, DockerClient } from "../docker/docker-client.js";
import { compareEnvironments, type HostFacts } from "../facts/environment-drift.js";
import { compareMetrics, compareSeries, type Tolerance } from "../metrics/compare-metrics.js";
import { MetricsCollector, SDK_METRICS_FILE, SERIES_FILE } from "../metrics/metrics-collector.js";
import { readSeries } from "../metrics/read-series.js";
import { compileMetricPattern, DEFAULT_METRIC_PATTERN } from "../metrics/stdout-metrics.js";
import { createTee } from "../primitives/tee.js";
import type { RunManifest } from "../record/types.js";
import { compareOutputs } from "./compare-outputs.js";
import { type ContainerLimits, containerSpecFor } from "./container-spec.js";
import { prepareMounts } from "./mounts.js";
import type { ReplayReport } from "../record/types.js";

const MAX_METRIC_FILE_BYTES = 16 * 1024 * 1024;

/** What every run of one replay shares. */
export interface ReplayContext {
  readonly bundlePath: string;
  readonly opened: OpenBundle;
  readonly imageId: string;
  readonly host: HostFacts;
  readonly limits: ContainerLimits;
  readonly tolerance: Tolerance;
  /** Compare only these metrics; empty: all. */
  readonly metrics: readonly string[];
}

export interface ReplayRunDeps {
  docker: DockerClient;
  echoStdout: Writable;
  echoStderr: Writable;
  step: (line: string) => void;
  interrupted: Promise<NodeJS.Signals>;
  mlxVersion: string;
}

/** One run in a hardened container, its logs and outputs under `out`, compared with its record. */
export async function replayRun(run: RunManifest, out: string, context: ReplayContext, deps: ReplayRunDeps): Promise<ReplayReport> {
  const { opened, imageId, limits } = context;
  await mkdir(out, { recursive: true });
  const mounts = await prepareMounts(opened, run, out);
  const logs = join(out, "logs");
  await mkdir(logs, { recursive: true });
  const collector = new MetricsCollector(join(out, SERIES_FILE));
  const sink = collector.stdoutSink(compileMetricPattern(DEFAULT_METRIC_PATTERN));
  const stdout = createTee(
    [
      { stream: deps.echoStdout, end: false },
      { stream: createWriteStream(join(logs, "stdout.log")), end: true },
    ],
    (chunk) => sink.push(chunk),
  );
  const stderr = createTee([
    { stream: deps.echoStderr, end: false },
    { stream: createWriteStream(join(logs, "stderr.log")), end: true },
  ]);
  const spec = containerSpecFor(run, imageId, mounts.binds, limits);
  const network = limits.network ? "network on" : "no network";
  deps.step(`running ${JSON.stringify(spec.argv)} in ${spec.workdir} (image ${imageId.slice(0, 19)}, ${network})`);
  const started = Date.now();
  const result = await deps.docker.run(spec, { stdout, stderr, interrupted: deps.interrupted });
  const durationMs = Date.now() - started;
  stdout.end();
  stderr.end();
  sink.end();

  await collector.readSdkFile(join(mounts.mlxDir, SDK_METRICS_FILE), SDK_METRICS_FILE);
  const warnings: string[] = [];
  for (const [label, hostPath] of mounts.metricFiles) {
    const info = await lstat(hostPath).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_METRIC_FILE_BYTES) {
      warnings.push(`metrics file ${label} ${info ? "is not a regular file of at most 16 MiB: not read" : "was not written"}`);
    } else await collector.readMetricFile(hostPath, label, Date.now());
  }
  const collected = await collector.close();
  warnings.push(...collected.warnings);

  const outputs = await compareOutputs(run, mounts.outputs);
  // One tolerance for the final values and the series: the reviewer's, over those recorded at capture.
  const tolerance = withRecorded(context.tolerance, run);
  const comparison = compareMetrics(run.metrics?.final ?? {}, collected.final, tolerance, context.metrics);
  const recordedSeries = join(opened.folder, "records", "runs", run.id, run.metrics?.series ?? SERIES_FILE);
  const series = compareSeries(await readSeries(recordedSeries), await readSeries(join(out, SERIES_FILE)), tolerance);
  const originalExit = run.outcome?.exitCode ?? 0;
  warnings.push(...runWarnings(run, result, limits, comparison.rows.length));

  const reproduced =
    comparison.reproduced &&
    result.exitCode === originalExit &&
    !result.oomKilled &&
    !result.interruptedBy &&
    outputs.every((o) => o.verdict === "same");
  return {
    apiVersion: "mlx/v1",
    kind: "Replay",
    createdAt: new Date().toISOString(),
    mlxVersion: deps.mlxVersion,
    bundle: { path: context.bundlePath, imageId },
    run: run.id,
    verdict: reproduced ? "reproduced" : "diverged",
    container: {
      exitCode: result.exitCode,
      originalExitCode: originalExit,
      oomKilled: result.oomKilled,
      durationMs,
      ...(result.interruptedBy ? { interruptedBy: result.interruptedBy } : {}),
      ...(limits.keep ? { containerId: result.containerId } : {}),
    },
    metrics: comparison.rows,
    series,
    outputs,
    drift: compareEnvironments(run, opened.manifest.image.id, context.host),
    warnings,
  };
}

/** What the reviewer should know about how the container ran, beside the metric table. */
function runWarnings(run: RunManifest, result: ContainerResult, limits: ContainerLimits, metricRows: number): string[] {
  const warnings: string[] = [];
  const originalExit = run.outcome?.exitCode ?? 0;
  if (result.oomKilled) warnings.push(`the container was OOM-killed (${result.exitCode}) at --memory ${limits.memoryBytes} bytes`);
  if (result.exitCode !== originalExit) warnings.push(`the command exited ${result.exitCode}; the original exited ${originalExit}`);
  if (run.gpus?.available && run.gpus.devices.length > 0 && limits.gpus === null)
    warnings.push("the original run had GPUs; this replay asked for none (--gpus all)");
  if (metricRows === 0) warnings.push("the run recorded no metrics: only the exit code and outputs were compared");
  warnings.push("the bundle is not signed: its checksums prove integrity, not who made it");
  return warnings;
}

function withRecorded(tolerance: Tolerance, run: RunManifest): Tolerance {
  return { ...tolerance, perMetric: { ...(run.tolerances ?? {}), ...tolerance.perMetric } };
}
