import type { Writable } from "node:stream";
import type { CaptureOptions } from "../capture/capture-options.js";
import { rmdir, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import type { CaptureDeps } from "../capture/capture-run.js";
import { BadInputError } from "../errors.js";
import { createGroupFolder, writeGroup } from "../record/group-store.js";
import { openGroupJournal, removeGroupJournal } from "../record/group-journal.js";
import { findRoot, newRunId, runsFolder } from "../record/run-folder.js";
import type { GroupManifest, GroupTrial } from "../record/types.js";
import type { GroupSpec } from "./group-spec.js";
import { seededRandom } from "./prng.js";
import { gridParams, type Observation, type Params, randomParams } from "./samplers.js";
import { tpeParams } from "./tpe.js";
import { bestBy, scoreOf } from "../metrics/best-trial.js";
import type { TrialExecutor, TrialOutcome } from "./executor.js";
import { localExecutor } from "./local-executor.js";
import { createTrialWorkdir, listTreeFiles, removeTrialWorkdir, trialWorkdirPath } from "./trial-workdir.js";
import { cudaVisibleDevices } from "./gpu-slots.js";
import { probeOnce } from "./share-probes.js";
import { gpuSlots, recordedPlacement } from "./trial-resources.js";
import { type PrunedAt, startPruneWatch } from "./prune-watch.js";
import { renderPruner } from "./pruner-spec.js";
import { markPruned } from "./mark-pruned.js";

/** What a trial needs, less its echoes (each trial's are prefixed): `interrupts` reach every running trial. */
export interface GroupDeps extends Omit<CaptureDeps, "echoStdout" | "echoStderr" | "interactive" | "sharedProbes"> {
  stdout: Writable;
  stderr: Writable;
  /** True once the reviewer interrupted: no further trial starts. */
  stopped: () => boolean;
  /** Where trials run; in this process (the local executor) when absent. */
  executor?: TrialExecutor;
  /** The GPUs of this host, for gpus_per_trial: device indices, or why there are none. */
  probeGpus?: () => Promise<{ devices: number[]; reason: string }>;
  /** How often running trials' series are read for the pruner (default 200 ms). */
  pruneCheckMs?: number;
  /** The process running the search, recorded so that a reader can tell a search killed from one still running. */
  pid?: number;
}

export interface GroupResult {
  folder: string;
  manifest: GroupManifest;
  /** 0 when the search ran (failed trials included), 1 when every trial failed, 130 interrupted. */
  exitCode: number;
}

/** Each trial's seed, derived from the group seed alone: recorded, and the same on every rerun. */
export function trialSeed(groupSeed: number, index: number): number {
  return Math.floor(seededRandom(groupSeed ^ 0x5eed5eed, index)() * 4294967296);
}

/** The command of one trial: {{name}} templates filled in, and --name=value flags when params_as: flags. */
export function trialArgv(spec: GroupSpec, params: Readonly<Record<string, unknown>>): string[] {
  const argv = spec.argv.map((arg) =>
    arg.replace(/\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g, (_, name: string) => {
      if (!(name in params))
        throw new BadInputError(
          `the command names {{${name}}}, which is not a parameter`,
          `Parameters: ${Object.keys(params).join(", ")}.`,
        );
      return String(params[name]);
    }),
  );
  if (spec.paramsAs === "flags")
    for (const [name, value] of Object.entries(params)) argv.push(`--${name}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return argv;
}

/**
 * Runs a search: up to `concurrency` trials at once (fewer when GPUs per trial run short), each captured
 * as an ordinary Run with a `group` field, its own seed, its own copy of the working tree and a run id
 * chosen in advance, through the executor. Trial i is sampled from the finished trials with index
 * <= i - concurrency only, so the search is reproducible from its seed whatever order trials finish in.
 * A failed trial is recorded and the search goes on (unless failFast); a trial its executor lost is run
 * again up to max_retries; a pruned one is stopped. The Group record is written whole at the start and
 * the end; in between, each trial's changes are appended to its journal (one line each, whatever the
 * number of trials), so a search killed halfway can still be read.
 */
export async function runGroup(spec: GroupSpec, base: CaptureOptions, failFast: boolean, deps: GroupDeps): Promise<GroupResult> {
  trialArgv(spec, { ...spec.params, ...randomParams(spec.space, spec.seed, 0) }); // templates checked before anything runs
  const { root, inGit } = await findRoot(base.cwd);
  const slots = spec.gpusPerTrial > 0 ? await gpuSlots(spec.gpusPerTrial, deps) : null;
  const concurrency = Math.max(1, Math.min(spec.concurrency, slots?.capacity ?? Infinity));
  const files = await listTreeFiles(root, inGit);
  const cwdRel = relative(root, base.cwd).split(sep).join("/");
  const createdAt = deps.now();
  const id = newRunId(createdAt);
  const folder = await createGroupFolder(root, id);
  const trials: GroupTrial[] = Array.from({ length: spec.numTrials }, (_, index) => ({
    index,
    runId: null,
    seed: trialSeed(spec.seed, index),
    params: {},
    status: "pending",
    exitCode: null,
    metric: null,
  }));
  const executor = deps.executor ?? localExecutor({ ...deps, sharedProbes: probeOnce() });
  const manifest: GroupManifest = {
    apiVersion: "mlx/v1",
    kind: "Group",
    id,
    name: spec.name,
    createdAt: createdAt.toISOString(),
    mlxVersion: deps.mlxVersion,
    status: "running",
    spec: {
      sampler: spec.sampler,
      seed: spec.seed,
      numTrials: spec.numTrials,
      concurrency,
      metric: { ...spec.metric },
      paramSpace: { ...spec.spaceText },
      params: { ...spec.params },
      argv: [...spec.argv],
      paramsAs: spec.paramsAs,
      executor: executor.name,
      maxRetries: spec.maxRetries,
      pruner: renderPruner(spec.pruner),
      ...(spec.gpusPerTrial > 0 ? { gpusPerTrial: spec.gpusPerTrial } : {}),
    },
    trials,
    best: null,
    warnings: [],
    ...(deps.pid ? { pid: deps.pid, host: hostname() } : {}),
  };
  await writeGroup(folder, manifest);
  const journal = await openGroupJournal(folder);
  let journaledWarnings = 0;
  /** One journal line: the trial as it stands, the best, and what else changed in the group with it. */
  const note = (trial: GroupTrial, nodes: readonly string[] = []): Promise<void> => {
    const warnings = manifest.warnings.slice(journaledWarnings);
    journaledWarnings = manifest.warnings.length;
    return journal.append({
      group: id,
      trial,
      best: manifest.best,
      ...(warnings.length ? { warnings } : {}),
      ...(nodes.length ? { nodes } : {}),
    });
  };
  /** The record whole again, once the search has ended: the journal is then folded in and goes. */
  const finish = async (): Promise<void> => {
    await journal.close();
    await writeGroup(folder, manifest);
    await removeGroupJournal(folder);
  };
  let best: GroupTrial | null = null; // kept as trials finish rather than searched for each time
  const pruning = startPruneWatch(spec.pruner, spec.metric.name, spec.metric.direction, deps.pruneCheckMs ?? 200);
  // Ctrl-C: every handler sees the signal first (local trials get it directly), then the executor cancels what is left.
  const onInterrupt = (signal: NodeJS.Signals): void => {
    if (signal !== "SIGHUP") setImmediate(() => void executor.cancelAll());
  };
  deps.interrupts.on(onInterrupt);
  const finished: Array<Promise<void>> = [];
  const active = new Set<Promise<void>>(); // trials whose command runs
  const recording = new Set<Promise<void>>(); // trials not yet recorded, their command running or ended
  let halted = false;
  let refused = false; // an executor refused a trial: the search is ending, lost trials are not tried again

  /**
   * One trial, attempt after attempt while its executor loses it and retries are left. `freeSlot` is
   * called as soon as its command has ended, so that the next trial's command starts while this one's
   * record is still being written (not under fail_fast, which waits for the outcome, nor with GPUs).
   */
  const runTrial = async (trial: GroupTrial, freeSlot: () => void): Promise<void> => {
    const i = trial.index;
    for (let attempt = 0; ; attempt++) {
      const runId = newRunId(deps.now());
      const copy = trialWorkdirPath(root, id, i, attempt);
      await createTrialWorkdir(
        root,
        files,
        base.inputs.map((p) => relative(root, resolve(base.cwd, p)).split(sep).join("/")),
        copy,
      );
      const gpus = slots?.acquire() ?? null;
      if (gpus) trial.gpus = gpus.join(",");
      let outcome: TrialOutcome;
      let pruned: PrunedAt | undefined;
      try {
        const running = executor.start({
          index: i,
          attempt,
          options: {
            ...base,
            argv: trialArgv(spec, trial.params),
            params: trial.params,
            seed: trial.seed,
            name: `${spec.name}-${i}`,
            tags: [...base.tags, `group:${id}`],
            group: { id, trial: i },
            workdir: join(copy, cwdRel),
            runId,
            extraEnv: { ...base.extraEnv, ...(gpus ? cudaVisibleDevices(gpus) : {}) },
          },
        });
        trial.runId = runId;
        pruning.watch(i, join(runsFolder(root), runId), () => running.stop("pruned"));
        void note(trial).catch(() => undefined); // a journal that cannot be written fails the trial's last line
        if (!failFast && !gpus) void running.exited?.then(freeSlot);
        outcome = await running.outcome;
      } finally {
        pruned = pruning.unwatch(i);
        if (gpus) slots?.release(gpus);
        if (!spec.keepWorkdirs) await removeTrialWorkdir(copy);
      }
      const placement = recordedPlacement(outcome.placement);
      trial.placement = placement;
      const nodes = outcome.placement.nodes ?? [];
      for (const node of nodes) ((manifest.nodes ??= {})[node] ??= []).push(i);
      if (outcome.lost) {
        const lost = { attempt, runId: outcome.manifest?.id ?? null, reason: outcome.lost.reason, placement };
        trial.lost = [...(trial.lost ?? []), lost];
        const retry = outcome.lost.retryable && attempt < spec.maxRetries && !deps.stopped() && !refused;
        deps.stderr.write(`[${i}] lost by the ${executor.name} executor: ${outcome.lost.reason}${retry ? "; retrying" : ""}\n`);
        if (retry) {
          await note(trial, nodes);
          continue;
        }
      }
      await recordOutcome(trial, outcome, pruned, nodes);
      return;
    }
  };

  const recordOutcome = async (
    trial: GroupTrial,
    outcome: TrialOutcome,
    pruned: PrunedAt | undefined,
    nodes: readonly string[],
  ): Promise<void> => {
    const i = trial.index;
    const run = outcome.manifest;
    trial.runId = run?.id ?? null;
    trial.exitCode = outcome.exitCode;
    trial.status = run ? run.status : outcome.lost ? "lost" : "failed";
    trial.metric = run?.metrics?.final[spec.metric.name] ?? null;
    if (run && pruned && run.status === "interrupted" && !deps.stopped()) {
      trial.status = "pruned";
      trial.pruned = { step: pruned.step, value: Number.isNaN(pruned.value) ? "NaN" : pruned.value };
      deps.stderr.write(`[${i}] pruned at step ${pruned.step} (${spec.metric.name}=${pruned.value})\n`);
      await markPruned(join(runsFolder(root), run.id), spec.metric.name, pruned).catch((error: unknown) => {
        manifest.warnings.push(`trial ${i}'s run record does not say it was pruned: ${String(error)}`);
      });
    }
    if (trial.status === "succeeded") {
      await pruning.completed(join(runsFolder(root), run!.id));
      if (trial.metric === null) manifest.warnings.push(`trial ${i} reported no ${spec.metric.name}`);
    }
    if (outcome.recordError) manifest.warnings.push(`trial ${i}'s record was not written: ${outcome.recordError}`);
    if (trial.status !== "succeeded" && trial.status !== "pruned" && failFast) halted = true;
    if (trial.status === "succeeded" && trial.runId) {
      const pair = best ? [best, trial].sort((a, b) => a.index - b.index) : [trial]; // a tie goes to the lower index
      best = bestBy(pair, (t) => t.metric, spec.metric.direction) ?? best;
    }
    manifest.best = best ? { index: best.index, runId: best.runId!, metric: best.metric as number } : null;
    await note(trial, nodes);
  };

  try {
    for (let i = 0; i < spec.numTrials && !halted && !deps.stopped(); i++) {
      // At most `concurrency` commands, and as many trials again whose records are still being finished.
      while (active.size >= concurrency || recording.size >= 2 * concurrency) await Promise.race([...active, ...recording]);
      if (halted || deps.stopped()) break;
      const visible = i - concurrency + 1; // trials 0 .. i - concurrency
      if (spec.sampler === "tpe" && visible > 0) await Promise.all(finished.slice(0, visible));
      // Only TPE looks at earlier results: the other samplers need not gather them for every trial.
      const observed = spec.sampler === "tpe" ? observations(spec, trials.slice(0, Math.max(0, visible))) : [];
      const params = sample(spec, i, observed);
      const trial = trials[i]!;
      trial.params = { ...spec.params, ...params };
      trial.status = "running";
      deps.stderr.write(`[${i}] trial ${i + 1}/${spec.numTrials}: ${JSON.stringify(params)}\n`);
      let freeSlot: () => void = () => undefined;
      const commandEnded = new Promise<void>((resolve) => (freeSlot = resolve));
      const run = runTrial(trial, freeSlot);
      finished[i] = run;
      const slot = Promise.race([commandEnded, run]); // rejects with the trial, so a refused trial still ends the search
      active.add(slot);
      recording.add(run);
      void slot.finally(() => active.delete(slot)).catch(() => undefined);
      void run.finally(() => recording.delete(run)).catch(() => undefined);
    }
    await Promise.all(finished);
  } catch (error) {
    // A trial its executor refused (sbatch failed: exit 2/3) ends the search: nothing of it stays queued or
    // running, and the record says how it ended rather than `running`.
    refused = true;
    await executor.cancelAll().catch(() => undefined);
    await Promise.allSettled(finished);
    for (const t of trials.filter((x) => x.status === "running")) {
      t.status = "failed";
      if (t.runId && !(await stat(join(runsFolder(root), t.runId)).catch(() => null))) t.runId = null;
    }
    manifest.status = deps.stopped() ? "interrupted" : "failed";
    manifest.best = bestOf(trials, spec);
    await finish().catch(() => undefined); // the executor's error is the one to report
    throw error;
  } finally {
    deps.interrupts.off(onInterrupt);
    pruning.close();
    if (!spec.keepWorkdirs) await rmdir(join(root, ".mlx", "work", id)).catch(() => undefined);
  }
  const interrupted = deps.stopped() || trials.some((t) => t.status === "interrupted");
  const anySucceeded = trials.some((t) => t.status === "succeeded");
  manifest.status = interrupted ? "interrupted" : anySucceeded ? "succeeded" : "failed";
  manifest.best = bestOf(trials, spec);
  await finish();
  return { folder, manifest, exitCode: interrupted ? 130 : anySucceeded ? 0 : 1 };
}

function sample(spec: GroupSpec, index: number, observed: Observation[]): Params {
  if (spec.sampler === "grid") return gridParams(spec.space, index);
  if (spec.sampler === "tpe") return tpeParams(spec.space, spec.seed, index, observed);
  return randomParams(spec.space, spec.seed, index);
}

/** Finished trials as a sampler sees them: higher is better, failures NaN. */
function observations(spec: GroupSpec, trials: GroupTrial[]): Observation[] {
  return trials.map((t) => ({
    params: t.params as Params,
    score: t.status === "succeeded" ? scoreOf(t.metric, spec.metric.direction) : NaN,
  }));
}

/** The best finished trial: NaN is never best, ties go to the lower index. */
export function bestOf(trials: readonly GroupTrial[], spec: GroupSpec): GroupManifest["best"] {
  const finished = trials.filter((t) => t.status === "succeeded" && t.runId);
  const best = bestBy(finished, (t) => t.metric, spec.metric.direction);
  return best ? { index: best.index, runId: best.runId!, metric: best.metric as number } : null;
}
