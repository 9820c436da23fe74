import type { Writable } from "node:stream";
import type { CaptureOptions } from "../capture/capture-options.js";
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type CaptureDeps, captureRun } from "../capture/capture-run.js";
import type { Probes } from "../capture/capture-probes.js";
import { BadInputError } from "../errors.js";
import { createGroupFolder, writeGroup } from "../record/group-store.js";
import { findRoot, newRunId } from "../record/run-folder.js";
import type { GroupManifest, GroupTrial } from "../record/types.js";
import type { GroupSpec } from "./group-spec.js";
import { prefixLines } from "../primitives/prefix-lines.js";
import { seededRandom } from "./prng.js";
import { gridParams, type Observation, type Params, randomParams } from "./samplers.js";
import { tpeParams } from "./tpe.js";
import { bestBy, scoreOf } from "../metrics/best-trial.js";

/** What a trial needs, less its echoes (each trial's are prefixed): `interrupts` reach every running trial. */
export interface GroupDeps extends Omit<CaptureDeps, "echoStdout" | "echoStderr" | "interactive" | "sharedProbes"> {
  stdout: Writable;
  stderr: Writable;
  /** True once the reviewer interrupted: no further trial starts. */
  stopped: () => boolean;
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
 * Runs a search: up to `concurrency` trials at once, each captured as an ordinary Run with a
 * `group` field and its own seed, output prefixed by its index. Trial i is sampled from the
 * finished trials with index <= i - concurrency only, so the search is reproducible from its seed
 * whatever order trials finish in. A failed trial is recorded and the search goes
 * on (unless failFast). The Group record is rewritten after every trial.
 */
export async function runGroup(spec: GroupSpec, base: CaptureOptions, failFast: boolean, deps: GroupDeps): Promise<GroupResult> {
  trialArgv(spec, { ...spec.params, ...randomParams(spec.space, spec.seed, 0) }); // templates checked before anything runs
  const { root } = await findRoot(base.cwd);
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
      concurrency: spec.concurrency,
      metric: { ...spec.metric },
      paramSpace: { ...spec.spaceText },
      params: { ...spec.params },
      argv: [...spec.argv],
      paramsAs: spec.paramsAs,
    },
    trials,
    best: null,
    warnings: [],
  };
  let writing = writeGroup(folder, manifest);
  const sharedProbes = probeOnce();
  const save = (): Promise<void> => (writing = writing.then(() => writeGroup(folder, manifest)));
  const finished: Array<Promise<void>> = [];
  const active = new Set<Promise<void>>();
  let halted = false;

  for (let i = 0; i < spec.numTrials && !halted && !deps.stopped(); i++) {
    while (active.size >= spec.concurrency) await Promise.race(active);
    if (halted || deps.stopped()) break;
    const visible = i - spec.concurrency + 1; // trials 0 .. i - concurrency
    if (spec.sampler === "tpe" && visible > 0) await Promise.all(finished.slice(0, visible));
    const params = sample(spec, i, observations(spec, trials.slice(0, Math.max(0, visible))));
    const trial = trials[i]!;
    trial.params = { ...spec.params, ...params };
    trial.status = "running";
    deps.stderr.write(`[${i}] trial ${i + 1}/${spec.numTrials}: ${JSON.stringify(params)}\n`);
    const run = captureRun(
      {
        ...base,
        argv: trialArgv(spec, trial.params),
        params: trial.params,
        seed: trial.seed,
        name: `${spec.name}-${i}`,
        tags: [...base.tags, `group:${id}`],
        group: { id, trial: i },
      },
      {
        ...deps,
        echoStdout: prefixLines(`[${i}] `, deps.stdout),
        echoStderr: prefixLines(`[${i}] `, deps.stderr),
        interactive: false,
        sharedProbes,
      },
    ).then(async (result) => {
      trial.runId = result.manifest.id;
      trial.status = result.manifest.status;
      trial.exitCode = result.exitCode;
      trial.metric = result.manifest.metrics?.final[spec.metric.name] ?? null;
      if (trial.status === "succeeded" && trial.metric === null) manifest.warnings.push(`trial ${i} reported no ${spec.metric.name}`);
      if (result.recordError) manifest.warnings.push(`trial ${i}'s record was not written: ${result.recordError}`);
      if (trial.status !== "succeeded" && failFast) halted = true;
      manifest.best = bestOf(trials, spec);
      await save();
    });
    finished[i] = run;
    active.add(run);
    void run.finally(() => active.delete(run));
  }
  await Promise.all(finished);
  const interrupted = deps.stopped() || trials.some((t) => t.status === "interrupted");
  const anySucceeded = trials.some((t) => t.status === "succeeded");
  manifest.status = interrupted ? "interrupted" : anySucceeded ? "succeeded" : "failed";
  manifest.best = bestOf(trials, spec);
  await save();
  return { folder, manifest, exitCode: interrupted ? 130 : anySucceeded ? 0 : 1 };
}

/**
 * The first trial probes; the others reuse its answers (same host, code, dependencies and inputs
 * within one search) and get their own copies of the files it wrote: git.patch and lockfiles/.
 */
function probeOnce(): NonNullable<CaptureDeps["sharedProbes"]> {
  let first: { folder: string; probes: Promise<Probes> } | undefined;
  return async (folder, probeHere) => {
    if (!first) {
      first = { folder, probes: probeHere() };
      return first.probes;
    }
    const probes = await first.probes;
    const files = [
      ...(probes.git?.available && probes.git.patch ? [probes.git.patch.file] : []),
      ...(probes.dependencies?.lockfiles.map((l) => l.copy) ?? []),
    ];
    for (const file of files) {
      await mkdir(dirname(join(folder, file)), { recursive: true });
      await copyFile(join(first.folder, file), join(folder, file));
    }
    return probes;
  };
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
