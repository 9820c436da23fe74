import { createReadStream, createWriteStream } from "node:fs";
import { chmod, lstat, mkdir, rm, rmdir, writeFile } from "node:fs/promises";
import { basename, dirname, join, posix } from "node:path";
import type { Writable } from "node:stream";
import { createTee } from "../primitives/tee.js";
import { createInterface } from "node:readline";
import { stringify } from "yaml";
import { findUnsafeEntries, hashPath } from "../primitives/hash-paths.js";
import { MetricsCollector, SDK_METRICS_FILE } from "../metrics/metrics-collector.js";
import { probe } from "../facts/probe.js";
import { probeGpus } from "../facts/probe-gpu.js";
import { probeSystem } from "../facts/probe-system.js";
import { DEFAULT_METRIC_PATTERN, compileMetricPattern } from "../metrics/stdout-metrics.js";
import type { ContainerSpec, DockerClient } from "../docker/docker-client.js";
import { BadInputError } from "../errors.js";
import { readGroup } from "../record/group-store.js";
import type { GroupManifest, MetricPoint, RunManifest } from "../record/types.js";
import { prefixLines } from "../primitives/prefix-lines.js";
import { validateReplay } from "../record/validate.js";
import { writeFileAtomic } from "../primitives/write-atomic.js";
import { listTree } from "../bundle/list-tree.js";
import { linkStaysInside } from "../primitives/paths.js";
import { APP_DIR, containerWorkdir, MLX_DIR_IN_CONTAINER, PRELOAD_IN_IMAGE } from "../bundle/image-layout.js";
import { runEnvironment } from "../bundle/run-environment.js";
import { sortEntries, type TarEntry, tarStreamOf } from "../bundle/tar-writer.js";
import { compareMetrics, compareSeries, type MetricRow, type SeriesDivergence, type Tolerance } from "../metrics/compare-metrics.js";
import { compareEnvironments, type DriftRow, type HostFacts } from "../facts/environment-drift.js";
import { spearman } from "./rank-correlation.js";
import { bestBy } from "../metrics/best-trial.js";
import { untaggedImageStream, checkImageArchive } from "../bundle/image-archive.js";
import { checkPlainTar, openBundle, prepareOutFolder, type OpenBundle } from "../bundle/read-bundle.js";

export interface ReplayOptions {
  readonly bundle: string;
  readonly out: string;
  readonly tolerance: Tolerance;
  readonly metrics: readonly string[];
  readonly keep: boolean;
  readonly network: boolean;
  readonly gpus: "all" | number | null;
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly build: boolean;
  /** For group bundles: the best trial (default), one trial's index, or all of them. */
  readonly trials: "best" | "all" | number;
  /** Trials replayed at once with --all. */
  readonly concurrency: number;
}

export interface ReplayDeps {
  docker: DockerClient;
  echoStdout: Writable;
  echoStderr: Writable;
  step: (line: string) => void;
  interrupted: Promise<NodeJS.Signals>;
  mlxVersion: string;
}

export interface OutputRow {
  path: string;
  original: string;
  replay: string | null;
  verdict: "same" | "different" | "missing" | "unsafe";
  reason?: string;
}

export interface ReplayReport {
  apiVersion: "mlx/v1";
  kind: "Replay";
  createdAt: string;
  mlxVersion: string;
  bundle: { path: string; imageId: string };
  run: string;
  verdict: "reproduced" | "diverged";
  container: { exitCode: number; originalExitCode: number; oomKilled: boolean; durationMs: number; interruptedBy?: string; containerId?: string };
  metrics: MetricRow[];
  series: SeriesDivergence[];
  outputs: OutputRow[];
  drift: DriftRow[];
  warnings: string[];
  group?: {
    id: string;
    metric: string;
    trials: Array<{ index: number; run: string; verdict: "reproduced" | "diverged"; original: number | null; replay: number | null }>;
    best: { original: number | null; replay: number | null; stillBest: boolean | null };
    spearman: number | null;
  };
}

export const REPLAY_RECORD = "replay.yaml";
const MAX_METRIC_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Re-runs a bundle's run in a hardened container and compares it with the original. The bundle is
 * untrusted: it is verified before use, its image is loaded untagged and run by id, and settings
 * come only from the reviewer's options, never from the bundle.
 */
export async function replayBundle(options: ReplayOptions, deps: ReplayDeps): Promise<ReplayReport> {
  await checkPlainTar(options.bundle); // not a bundle: exit 2 before anything is made
  const created = await prepareOutFolder(options.out);
  try {
    return await replayInto(options, deps);
  } catch (error) {
    // A failure before anything ran leaves nothing behind; logs of a run that did start stay.
    if (created) await rmdir(options.out).catch(() => undefined);
    throw error;
  }
}

async function replayInto(options: ReplayOptions, deps: ReplayDeps): Promise<ReplayReport> {
  const engine = await deps.docker.ping(); // exit 3 before any work when there is no engine
  deps.step(`verifying ${options.bundle}`);
  const opened = await openBundle(options.bundle, options.out);
  let loadedImage: string | null = null;
  try {
    const group = opened.manifest.group ? await readGroup(join(opened.folder, "records", "groups", opened.manifest.group)) : null;
    const selected = selectRuns(opened, group, options.trials);
    for (const { run } of selected) {
      if (run.command.redactedArgs.length > 0) {
        const which = run.command.redactedArgs.map((i) => `argv[${i}]`).join(", ");
        throw new BadInputError(`the recorded command of run ${run.id} has redacted secrets (${which}); replay cannot supply them`, "Ask the author for a run captured without secrets on the command line (pass them in the environment instead).");
      }
    }
    const imageId = await provideImage(opened, options, deps, (id) => (loadedImage = id));
    const host = { system: await probe("system", 5000, probeSystem), gpus: await probe("gpu", 5000, () => probeGpus(5000)), docker: engine.version, imageId };
    const many = selected.length > 1;
    const reports: ReplayReport[] = new Array(selected.length);
    let next = 0;
    // Trials replay `concurrency` at a time, each in its own folder under --out.
    const worker = async (): Promise<void> => {
      while (next < selected.length) {
        const k = next++;
        const { run, index } = selected[k]!;
        const out = many ? join(options.out, "trials", String(index)) : options.out;
        reports[k] = await replayOneRun(run, out, opened, imageId, host, options, { ...deps, echoStdout: many ? prefixLines(`[${index}] `, deps.echoStdout) : deps.echoStdout, echoStderr: many ? prefixLines(`[${index}] `, deps.echoStderr) : deps.echoStderr });
        if (many) await writeFileAtomic(join(out, REPLAY_RECORD), stringify(reports[k], { lineWidth: 0 }));
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, selected.length) }, worker));
    const report: ReplayReport = { ...reports[0]! };
    if (group) {
      report.group = summarizeGroup(group, selected.map((s) => s.index), reports);
      report.verdict = reports.every((r) => r.verdict === "reproduced") && report.group.best.stillBest !== false ? "reproduced" : "diverged";
    }
    validateReplay(report, REPLAY_RECORD);
    await writeFileAtomic(join(options.out, REPLAY_RECORD), stringify(report, { lineWidth: 0 }));
    return report;
  } finally {
    if (!options.keep) {
      await rm(opened.folder, { recursive: true, force: true });
      if (loadedImage) await deps.docker.removeImage(loadedImage);
    }
  }
}

/** Which runs to replay: the run of a single-run bundle; for a group the best trial, one (--trial N), or all. */
function selectRuns(opened: OpenBundle, group: GroupManifest | null, trials: ReplayOptions["trials"]): Array<{ run: RunManifest; index: number }> {
  const byId = new Map(opened.runs.map((r) => [r.id, r]));
  if (!group) {
    if (trials !== "best") throw new BadInputError("--trial and --all are for group bundles; this bundle holds one run", "Replay it without them.");
    return [{ run: opened.runs[0]!, index: 0 }];
  }
  const withRuns = group.trials.filter((t) => t.runId && byId.has(t.runId));
  const pick = (index: number): { run: RunManifest; index: number } => {
    const t = withRuns.find((x) => x.index === index);
    if (!t) throw new BadInputError(`group ${group.id} has no recorded trial ${index}`, `Trials: ${withRuns.map((x) => x.index).join(", ")}.`);
    return { run: byId.get(t.runId!)!, index };
  };
  if (trials === "all") return withRuns.map((t) => pick(t.index));
  if (trials === "best") {
    if (!group.best) throw new BadInputError(`group ${group.id} has no best trial`, "Replay one with --trial N.");
    return [pick(group.best.index)];
  }
  return [pick(trials)];
}

/** For a group: each replayed trial's objective, whether the best is still the best, and the rank correlation. */
function summarizeGroup(group: GroupManifest, indexes: number[], reports: ReplayReport[]): NonNullable<ReplayReport["group"]> {
  const metric = group.spec.metric;
  const trials = indexes.map((index, k) => {
    const row = reports[k]!.metrics.find((m) => m.name === metric.name);
    return { index, run: reports[k]!.run, verdict: reports[k]!.verdict, original: numberOrNull(row?.original), replay: numberOrNull(row?.replay) };
  });
  const scored = trials.filter((t) => t.replay !== null);
  const replayBest = bestBy(trials, (t) => t.replay, metric.direction)?.index ?? null;
  const best = group.best?.index ?? null;
  const stillBest = best === null || !indexes.includes(best) || scored.length < 2 ? null : replayBest === best;
  const paired = trials.filter((t) => t.original !== null && t.replay !== null);
  return {
    id: group.id,
    metric: metric.name,
    trials,
    best: { original: best, replay: replayBest, stillBest },
    spearman: paired.length >= 2 ? spearman(paired.map((t) => t.original!), paired.map((t) => t.replay!)) : null,
  };
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

/** One run in a hardened container, compared with its record. */
async function replayOneRun(run: RunManifest, out: string, opened: OpenBundle, imageId: string, host: HostFacts, options: ReplayOptions, deps: ReplayDeps): Promise<ReplayReport> {
  await mkdir(out, { recursive: true });
  const mounts = await prepareMounts(opened, run, out);
  const logs = join(out, "logs");
  await mkdir(logs, { recursive: true });
  const collector = new MetricsCollector(join(out, "metrics.jsonl"));
  const sink = collector.stdoutSink(compileMetricPattern(DEFAULT_METRIC_PATTERN));
  const stdout = createTee([{ stream: deps.echoStdout, end: false }, { stream: createWriteStream(join(logs, "stdout.log")), end: true }], (chunk) => sink.push(chunk));
  const stderr = createTee([{ stream: deps.echoStderr, end: false }, { stream: createWriteStream(join(logs, "stderr.log")), end: true }]);
  // The run's own recorded command and folder: for a group, each trial's own parameters.
  const argv = run.command.argv;
  const workdir = containerWorkdir(run.command.cwd);
  deps.step(`running ${JSON.stringify(argv)} in ${workdir} (image ${imageId.slice(0, 19)}, ${options.network ? "network on" : "no network"})`);
  const started = Date.now();
  const spec: ContainerSpec = {
    imageId,
    argv,
    workdir,
    env: containerEnv(run),
    binds: mounts.binds,
    network: options.network,
    cpus: options.cpus,
    memoryBytes: options.memoryBytes,
    pidsLimit: 1024,
    gpus: options.gpus,
    keep: options.keep,
    labels: { "org.mlx.replay-of": run.id },
  };
  const result = await deps.docker.run(spec, { stdout, stderr, interrupted: deps.interrupted });
  const durationMs = Date.now() - started;
  stdout.end();
  stderr.end();
  sink.end();

  await collector.readSdkFile(join(mounts.mlxDir, SDK_METRICS_FILE), SDK_METRICS_FILE);
  const warnings: string[] = [];
  for (const [label, hostPath] of mounts.metricFiles) {
    const info = await lstat(hostPath).catch(() => undefined);
    if (!info?.isFile() || info.size > MAX_METRIC_FILE_BYTES) warnings.push(`metrics file ${label} ${info ? "is not a regular file of at most 16 MiB: not read" : "was not written"}`);
    else await collector.readMetricFile(hostPath, label, Date.now());
  }
  const collected = await collector.close();
  warnings.push(...collected.warnings);

  const outputs = await compareOutputs(run, mounts.outputs);
  // One tolerance for the final values and the series: the reviewer's, over those recorded at capture.
  const tolerance = withRecorded(options.tolerance, run);
  const comparison = compareMetrics(run.metrics?.final ?? {}, collected.final, tolerance, options.metrics);
  const series = compareSeries(await readSeries(join(opened.folder, "records", "runs", run.id, run.metrics?.series ?? "metrics.jsonl")), await readSeries(join(out, "metrics.jsonl")), tolerance);
  const originalExit = run.outcome?.exitCode ?? 0;
  if (result.oomKilled) warnings.push(`the container was OOM-killed (${result.exitCode}) at --memory ${options.memoryBytes} bytes`);
  if (result.exitCode !== originalExit) warnings.push(`the command exited ${result.exitCode}; the original exited ${originalExit}`);
  if (run.gpus?.available && run.gpus.devices.length > 0 && options.gpus === null) warnings.push("the original run had GPUs; this replay asked for none (--gpus all)");
  if (comparison.rows.length === 0) warnings.push("the run recorded no metrics: only the exit code and outputs were compared");
  warnings.push("the bundle is not signed: its checksums prove integrity, not who made it");

  const reproduced = comparison.reproduced && result.exitCode === originalExit && !result.oomKilled && !result.interruptedBy && outputs.every((o) => o.verdict === "same");
  return {
    apiVersion: "mlx/v1",
    kind: "Replay",
    createdAt: new Date().toISOString(),
    mlxVersion: deps.mlxVersion,
    bundle: { path: options.bundle, imageId },
    run: run.id,
    verdict: reproduced ? "reproduced" : "diverged",
    container: { exitCode: result.exitCode, originalExitCode: originalExit, oomKilled: result.oomKilled, durationMs, ...(result.interruptedBy ? { interruptedBy: result.interruptedBy } : {}), ...(options.keep ? { containerId: result.containerId } : {}) },
    metrics: comparison.rows,
    series,
    outputs,
    drift: compareEnvironments(run, opened.manifest.image.id, host),
    warnings,
  };
}

/** The image to run, by id: loaded from image.tar (checked, untagged), or built from context/ with --build. */
async function provideImage(opened: OpenBundle, options: ReplayOptions, deps: ReplayDeps, loaded: (id: string) => void): Promise<string> {
  const { manifest, folder } = opened;
  if (manifest.image.file && !options.build) {
    const file = join(folder, manifest.image.file);
    const { repoTags, hasRepositories } = checkImageArchive(opened.imageFiles, manifest.image.id);
    if ((await deps.docker.imageId(manifest.image.id)) === null) {
      // An archive with tags is re-emitted without them (R21); one without (what pack writes) loads as is.
      const tagged = repoTags.length > 0 || hasRepositories;
      deps.step(`loading ${manifest.image.file}${tagged ? ` (its tags ${repoTags.join(", ")} stripped)` : ""}; it runs by id`);
      await deps.docker.load(tagged ? untaggedImageStream(file) : createReadStream(file, { highWaterMark: 1 << 20 }));
      loaded(manifest.image.id);
    }
    if ((await deps.docker.imageId(manifest.image.id)) === null) throw new BadInputError(`loading image.tar did not give image ${manifest.image.id}`, "The bundle's image is corrupt; ask for a new bundle.");
    return manifest.image.id;
  }
  if (manifest.image.dependencies === "image") {
    throw new BadInputError("this bundle keeps its dependencies only inside image.tar, so its context cannot be rebuilt", "Replay without --build, or ask for a bundle packed with --no-image.");
  }
  deps.step("building the image from the bundled Dockerfile and context (no network)");
  const context = join(folder, "context");
  const entries: TarEntry[] = sortEntries([
    ...(await listTree(context, ".", () => false)).map((e) => ({ ...e, name: e.name.slice(2) })),
    ...manifest.links.map((l): TarEntry => {
      const rel = l.path.replace(/^context\//, "");
      if (!linkStaysInside(rel, l.target)) throw new BadInputError(`bundle link ${l.path} -> ${l.target} leaves the context`, "Do not use this bundle.");
      return { name: rel, source: { kind: "symlink", target: l.target }, mode: 0o777 };
    }),
  ]);
  const id = await deps.docker.build(tarStreamOf(entries, 0), { labels: { "org.mlx.rebuilt-from": manifest.runs[0]! }, onStep: (l) => deps.step(`  ${l}`) });
  loaded(id);
  if (id !== manifest.image.id) deps.step(`rebuilt image ${id} differs from the packed ${manifest.image.id} (builders stamp times); running the rebuilt one`);
  return id;
}

interface Mounts {
  binds: string[];
  mlxDir: string;
  outputs: Map<string, string>;
  metricFiles: Map<string, string>;
}

/**
 * Data read-only from the verified bundle; each declared output and metrics file writable through
 * its own host path under --out (the root filesystem stays read-only); /mlx for the SDK's metrics.
 */
async function prepareMounts(opened: OpenBundle, run: RunManifest, out: string): Promise<Mounts> {
  const binds = opened.manifest.data.map((d) => `${join(opened.folder, "data", d.path)}:${posix.join(APP_DIR, d.path)}:ro`);
  const mlxDir = join(out, "mlx");
  await mkdir(mlxDir, { recursive: true });
  await chmod(mlxDir, 0o777); // the container runs as nobody
  binds.push(`${mlxDir}:${MLX_DIR_IN_CONTAINER}`);
  const writable = async (rel: string, kind: "file" | "dir"): Promise<string> => {
    const host = join(out, "outputs", rel);
    await mkdir(kind === "dir" ? host : dirname(host), { recursive: true });
    if (kind === "file") await writeFile(host, "", { mode: 0o666 });
    await chmod(host, kind === "dir" ? 0o777 : 0o666);
    binds.push(`${host}:${posix.join(APP_DIR, rel)}`);
    return host;
  };
  const outputs = new Map<string, string>();
  for (const o of run.outputs) outputs.set(o.path, await writable(o.path, o.kind));
  const metricFiles = new Map<string, string>();
  for (const file of run.metrics?.files ?? []) {
    const rel = posix.normalize(posix.join(run.command.cwd, file));
    if (rel.startsWith("..") || rel.startsWith("/")) throw new BadInputError(`the record's metrics file ${file} lies outside the repository`, "Do not use this bundle.");
    metricFiles.set(file, outputs.get(rel) ?? (await writable(rel, "file")));
  }
  return { binds, mlxDir, outputs, metricFiles };
}

/** The recorded environment (allowlisted at capture), seeds and params, as capture gave them. */
function containerEnv(run: RunManifest): Record<string, string> {
  const nodePreload = run.seed.preload ? PRELOAD_IN_IMAGE : null;
  const metricsFile = `${MLX_DIR_IN_CONTAINER}/${SDK_METRICS_FILE}`;
  return { ...run.env.vars, HOME: "/tmp", ...runEnvironment({ runId: run.id, seed: run.seed.value, params: run.params, metricsFile, nodePreload }) };
}

function withRecorded(tolerance: Tolerance, run: RunManifest): Tolerance {
  return { ...tolerance, perMetric: { ...(run.tolerances ?? {}), ...tolerance.perMetric } };
}

/** Outputs hashed without following links (R29): a link or special file planted by the run is reported, never read. */
async function compareOutputs(run: RunManifest, hosts: Map<string, string>): Promise<OutputRow[]> {
  const rows: OutputRow[] = [];
  for (const original of run.outputs) {
    const host = hosts.get(original.path)!;
    const info = await lstat(host).catch(() => undefined);
    if (!info) {
      rows.push({ path: original.path, original: original.sha256, replay: null, verdict: "missing" });
      continue;
    }
    try {
      const unsafe = info.isDirectory() ? await findUnsafeEntries(host) : info.isFile() ? [] : ["(the output itself)"];
      if (unsafe.length > 0) {
        rows.push({ path: original.path, original: original.sha256, replay: null, verdict: "unsafe", reason: `not regular files, never read: ${unsafe.slice(0, 5).join(", ")}` });
        continue;
      }
      const hashed = await hashPath(dirname(host), basename(host));
      rows.push({ path: original.path, original: original.sha256, replay: hashed.sha256, verdict: hashed.sha256 === original.sha256 || sameFolder(original.files, hashed.files, original.path, basename(host)) ? "same" : "different" });
    } catch (error) {
      rows.push({ path: original.path, original: original.sha256, replay: null, verdict: "unsafe", reason: (error as Error).message });
    }
  }
  return rows;
}

/** Folders are hashed with their paths; compare the file lists with the prefix swapped. */
function sameFolder(a: RunManifest["outputs"][number]["files"], b: RunManifest["outputs"][number]["files"], prefixA: string, prefixB: string): boolean {
  if (!a || !b || a.length !== b.length) return false;
  return a.every((f, i) => f.sha256 === b[i]!.sha256 && f.path.slice(prefixA.length) === b[i]!.path.slice(prefixB.length));
}

async function readSeries(path: string): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  try {
    for await (const line of createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        points.push(JSON.parse(line) as MetricPoint);
      } catch {
        // a cut line: the final values still count
      }
    }
  } catch {
    return points;
  }
  return points;
}
