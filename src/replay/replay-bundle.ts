import { rm, rmdir } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { checkPlainTar, openBundle, prepareOutFolder } from "../bundle/read-bundle.js";
import { writeFailure } from "../primitives/write-failure.js";
import type { DockerClient } from "../docker/docker-client.js";
import { probe } from "../facts/probe.js";
import { probeGpus } from "../facts/probe-gpu.js";
import { probeSystem } from "../facts/probe-system.js";
import type { Tolerance } from "../metrics/compare-metrics.js";
import { prefixLines } from "../primitives/prefix-lines.js";
import type { OnProgress } from "../primitives/progress-event.js";
import { writeFileAtomic } from "../primitives/write-atomic.js";
import { readGroup } from "../record/group-store.js";
import { REPLAY_RECORD } from "../record/replay-store.js";
import { validateReplay } from "../record/validate.js";
import { provideImage } from "./provide-image.js";
import { streamLoad } from "./stream-load.js";
import type { ImageClaim } from "../bundle/image-claim.js";
import { checkBundleSignature, signatureWarning } from "../bundle/signature.js";
import type { ReplayReport } from "../record/types.js";
import { type ReplayContext, replayRun, type ReplayRunDeps } from "./replay-run.js";
import { selectRuns, type SelectedRun, type TrialChoice } from "./select-runs.js";
import { groupReasons, summarizeGroup } from "./summarize-group.js";
import { checkRecords } from "./check-records.js";
import type { HostProcess } from "../facts/host-process.js";

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
  /** --timeout; null: ten times the recorded duration, at least ten minutes. */
  readonly timeoutMs: number | null;
  readonly build: boolean;
  /** For group bundles: the best trial (default), one trial's index, or all of them. */
  readonly trials: TrialChoice;
  /** Trials replayed at once with --all. */
  readonly concurrency: number;
  /** --trust: an allowed-signers file; the bundle must then be signed by one of its keys. Null: not required. */
  readonly trust: string | null;
}

export interface ReplayDeps extends ReplayRunDeps {
  docker: DockerClient;
  /** The progress of the long steps (verify, load): `done` of `total` bytes, `end` once; the CLI renders it. */
  progress?: OnProgress;
  /** This host's process: its PATH is where nvidia-smi is looked for. */
  host: HostProcess;
}

const PROBE_TIMEOUT_MS = 5000;

/**
 * Re-runs a bundle's run in a hardened container and compares it with the original. The bundle is
 * untrusted: it is verified before use, its image is loaded untagged and run by id, and settings
 * come only from the reviewer's options, never from the bundle. A folder that cannot be written
 * (read-only, full) is exit 3 naming it.
 */
export async function replayBundle(options: ReplayOptions, deps: ReplayDeps): Promise<ReplayReport> {
  await checkPlainTar(options.bundle); // not a bundle: exit 2 before anything is made
  const created = await prepareOutFolder(options.out);
  try {
    return await replayInto(options, deps);
  } catch (error) {
    // A failure before anything ran leaves nothing behind; logs of a run that did start stay.
    if (created) await rmdir(options.out).catch(() => undefined);
    throw writeFailure(error, options.out) ?? error;
  }
}

async function replayInto(options: ReplayOptions, deps: ReplayDeps): Promise<ReplayReport> {
  const { signal } = deps;
  const engine = await deps.docker.ping(); // exit 3 before any work when there is no engine
  signal?.throwIfAborted();
  // This host's facts do not depend on the bundle: probed while it is verified (a probe never rejects).
  const probed = Promise.all([
    probe("system", PROBE_TIMEOUT_MS, probeSystem),
    probe("gpu", PROBE_TIMEOUT_MS, () => probeGpus(PROBE_TIMEOUT_MS, deps.host.env["PATH"])),
  ]);
  deps.step(`verifying ${options.bundle}`);
  // image.tar streams into the engine while it is verified; the load completes only once all is verified.
  // With --trust, no byte goes to the engine before the signature is checked: it is extracted instead.
  const stream = options.build || options.trust !== null ? undefined : streamLoad(deps);
  const opened = await openBundle(options.bundle, options.out, { signal, progress: deps.progress, image: stream?.sink }).catch(
    async (error: unknown) => {
      await stream?.abort();
      throw error;
    },
  );
  let loadedImage: string | null = null;
  let claim: ImageClaim | null = null;
  try {
    const groupId = opened.manifest.group;
    const group = groupId ? await readGroup(join(opened.folder, "records", "groups", groupId)) : null;
    checkRecords(opened.manifest, opened.runs); // an inconsistent bundle: exit 2 before anything is loaded
    const selected = selectRuns(opened.runs, group, options.trials);
    const signature = await checkBundleSignature(opened, options.trust); // exit 2 before anything is loaded
    signal?.throwIfAborted();
    const imageId = await provideImage(
      opened,
      options.build,
      deps,
      (id) => (loadedImage = id),
      (c) => (claim = c),
      stream,
    );
    const [system, hostGpus] = await probed;
    const host = { system, gpus: hostGpus, docker: engine.version, imageId };
    signal?.throwIfAborted(); // nothing runs after an interrupt
    const { network, cpus, memoryBytes, gpus, keep, timeoutMs } = options;
    const context: ReplayContext = {
      bundlePath: options.bundle,
      opened,
      imageId,
      host,
      limits: { network, cpus, memoryBytes, gpus, keep, timeoutMs },
      tolerance: options.tolerance,
      metrics: options.metrics,
    };
    const reports = await replaySelected(selected, context, options, deps);
    // Interrupted between trials: the ones not started have no report, so there is no group verdict.
    if (reports.filter(Boolean).length < selected.length) signal?.throwIfAborted();
    const report: ReplayReport = { ...reports[0]!, ...(signature ? { signature } : {}) };
    const unsigned = signatureWarning(signature);
    if (unsigned) report.warnings = [...report.warnings, unsigned];
    if (group) {
      report.group = summarizeGroup(
        group,
        selected.map((s) => s.index),
        reports,
      );
      report.reasons = groupReasons(report.group, reports);
      report.verdict = report.reasons.length === 0 ? "reproduced" : "diverged";
    }
    validateReplay(report, REPLAY_RECORD);
    await writeFileAtomic(join(options.out, REPLAY_RECORD), stringify(report, { lineWidth: 0 }));
    return report;
  } finally {
    await stream?.abort(); // a load never finished (a check failed, Ctrl-C) leaves nothing
    if (!options.keep) {
      await rm(opened.folder, { recursive: true, force: true });
      // Shared with concurrent replays of this bundle: the last one out removes what mlx loaded.
      await (claim as ImageClaim | null)?.release();
      if (loadedImage) await deps.docker.removeImage(loadedImage);
    }
  }
}

/**
 * Runs `selected` `concurrency` at a time. One run replays into --out itself; several each into
 * trials/<index>/ with their own record, and their output lines prefixed with [index].
 */
async function replaySelected(
  selected: readonly SelectedRun[],
  context: ReplayContext,
  options: ReplayOptions,
  deps: ReplayDeps,
): Promise<ReplayReport[]> {
  const many = selected.length > 1;
  const reports: ReplayReport[] = new Array(selected.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < selected.length && !deps.signal?.aborted) {
      const k = next++;
      const { run, index } = selected[k]!;
      const out = many ? join(options.out, "trials", String(index)) : options.out;
      const echo = many
        ? { echoStdout: prefixLines(`[${index}] `, deps.echoStdout), echoStderr: prefixLines(`[${index}] `, deps.echoStderr) }
        : {};
      reports[k] = await replayRun(run, out, context, { ...deps, ...echo });
      if (many) await writeFileAtomic(join(out, REPLAY_RECORD), stringify(reports[k], { lineWidth: 0 }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, selected.length) }, worker));
  return reports;
}
