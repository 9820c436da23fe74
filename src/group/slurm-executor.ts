// Trials as Slurm jobs: each attempt is one batch job that runs `mlx capture` of the trial on a compute
// node (same params, seed, run id and workdir), on the filesystem the cluster shares with this host.
// The search stays here: this side submits, watches squeue, and reads the record the job wrote.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "../errors.js";
import { findRoot } from "../record/run-folder.js";
import { readRun } from "../record/run-store.js";
import type { RunManifest } from "../record/types.js";
import type { RunningTrial, TrialExecutor, TrialJob, TrialOutcome, TrialPlacement } from "./executor.js";
import { expandNodeList, isActiveState, type QueuedJob, SlurmCommands } from "./slurm-commands.js";
import { renderBatchScript, sbatchArgs } from "./slurm-job-script.js";
import type { SlurmSettings } from "./slurm-spec.js";

export interface SlurmExecutorOptions {
  readonly settings: SlurmSettings;
  /** How a compute node runs this same mlx: [node, bin/mlx], absolute paths on the shared filesystem. */
  readonly mlx: readonly string[];
  readonly pollMs?: number;
  readonly log?: (line: string) => void;
}

/** How a job that ended in `state` counts: null when the command itself ended it (its record says how). */
export function lostReason(
  state: string,
  reason: string,
  nodes: readonly string[],
  stoppedByUs: boolean,
  settings: SlurmSettings,
): TrialOutcome["lost"] | null {
  const on = nodes.length > 0 ? ` on ${nodes.join(",")}` : "";
  // Stopped by this search (pruned, Ctrl-C): the record, when the capture got to write one, says how it ended.
  if (stoppedByUs && (state === "CANCELLED" || state === "FAILED")) return null;
  switch (state) {
    case "COMPLETED":
      return null;
    case "FAILED":
      // A node that dies under a running job ends it FAILED (JobLaunchFailure) or NODE_FAIL, depending on timing.
      return /launch|node/i.test(reason) ? { reason: `the node failed${on} (${reason})`, retryable: true } : null;
    case "CANCELLED":
      return stoppedByUs ? null : { reason: `the job was cancelled outside mlx${on}`, retryable: false };
    case "TIMEOUT":
      return {
        reason: `Slurm's time limit ended the job${on} (slurm.time: ${settings.time ?? "the partition's default"})`,
        retryable: true,
      };
    case "OUT_OF_MEMORY":
      return {
        reason: `Slurm's memory limit ended the job${on} (slurm.mem: ${settings.mem ?? "the partition's default"})`,
        retryable: true,
      };
    case "NODE_FAIL":
      return { reason: `the node failed${on}`, retryable: true };
    case "PREEMPTED":
    case "BOOT_FAIL":
      return { reason: `${state.toLowerCase().replace("_", " ")}${on}`, retryable: true };
    default:
      return { reason: `the job ended ${state}${reason && reason !== "None" ? ` (${reason})` : ""}${on}`, retryable: false };
  }
}

interface Tracked {
  readonly job: TrialJob;
  readonly jobName: string;
  /** The job's own stdout and stderr: what went wrong before mlx capture started. */
  outFile: string;
  id?: string;
  state: string;
  nodes: string[];
  allocation?: Record<string, string>;
  stoppedByUs: boolean;
  missingPolls: number;
  done: (outcome: TrialOutcome) => void;
}

export class SlurmExecutor implements TrialExecutor {
  readonly name = "slurm";
  private readonly tracked = new Set<Tracked>();
  private readonly submitting = new Set<Promise<string>>();
  /** Set by cancelAll: a job sbatch accepts from now on is cancelled at once. */
  private cancelling = false;
  private polling: Promise<void> | null = null;
  private readonly commands: SlurmCommands;

  constructor(
    cwd: string,
    private readonly options: SlurmExecutorOptions,
  ) {
    this.commands = new SlurmCommands(cwd);
  }

  start(job: TrialJob): RunningTrial {
    const jobName = `mlx-${job.options.group?.id ?? "trial"}`;
    let done!: (outcome: TrialOutcome) => void;
    let failed!: (error: unknown) => void;
    const outcome = new Promise<TrialOutcome>((resolve, reject) => ((done = resolve), (failed = reject)));
    const t: Tracked = { job, jobName, outFile: "", state: "PENDING", nodes: [], stoppedByUs: false, missingPolls: 0, done };
    const submitted = this.submit(t);
    this.submitting.add(submitted);
    void submitted.finally(() => this.submitting.delete(submitted)).catch(() => undefined);
    submitted.then(
      (id) => {
        t.id = id;
        this.options.log?.(`[${job.index}] Slurm job ${id}`);
        this.tracked.add(t);
        if (this.cancelling) t.stoppedByUs = true;
        if (t.stoppedByUs) void this.commands.cancel([id]);
        this.poll();
      },
      (error: unknown) => failed(error),
    );
    return { outcome, stop: () => this.stop(t) };
  }

  async cancelAll(): Promise<void> {
    this.cancelling = true;
    await Promise.allSettled([...this.submitting]);
    const all = [...this.tracked];
    for (const t of all) t.stoppedByUs = true;
    await this.commands.cancel(ids(all.filter((t) => t.state === "PENDING")));
    await this.commands.cancel(ids(all.filter((t) => t.state !== "PENDING")), "TERM");
    const grace = Math.max(0, ...all.map((t) => t.job.options.killGraceMs));
    const deadline = Date.now() + grace;
    while (this.tracked.size > 0 && Date.now() < deadline) await sleep(this.pollMs());
    await this.commands.cancel(ids([...this.tracked]));
    while (this.tracked.size > 0) await sleep(this.pollMs());
  }

  private async submit(t: Tracked): Promise<string> {
    const { root } = await findRoot(t.job.options.cwd);
    const folder = join(root, ".mlx", "slurm");
    await mkdir(folder, { recursive: true });
    t.outFile = join(folder, `${t.job.options.runId}.out`);
    const args = sbatchArgs(this.options.settings, t.job, t.jobName, t.outFile);
    return this.commands.submit(args, renderBatchScript(this.options.mlx, t.job));
  }

  private stop(t: Tracked): void {
    if (t.stoppedByUs) return;
    t.stoppedByUs = true;
    if (t.id === undefined) return; // cancelled as soon as sbatch answers
    const id = t.id;
    if (t.state === "PENDING") {
      void this.commands.cancel([id]);
      return;
    }
    void this.commands.cancel([id], "TERM");
    setTimeout(() => {
      if (this.tracked.has(t)) void this.commands.cancel([id]);
    }, t.job.options.killGraceMs).unref();
  }

  private pollMs(): number {
    return this.options.pollMs ?? 500;
  }

  /** One watcher for all this executor's jobs: squeue per job name, then scontrol once a job has a node. */
  private poll(): void {
    if (this.polling) return;
    this.polling = (async () => {
      while (this.tracked.size > 0) {
        await sleep(this.pollMs());
        const names = [...new Set([...this.tracked].map((t) => t.jobName))];
        let queued: QueuedJob[];
        try {
          queued = (await Promise.all(names.map((n) => this.commands.list(n)))).flat();
        } catch (error) {
          this.options.log?.(`mlx: watching the Slurm jobs failed, trying again: ${describeError(error)}`);
          continue;
        }
        await Promise.all(
          [...this.tracked].map((t) =>
            this.update(
              t,
              queued.find((q) => q.id === t.id),
            ),
          ),
        );
      }
    })().finally(() => (this.polling = null));
  }

  private async update(t: Tracked, queued: QueuedJob | undefined): Promise<void> {
    if (!queued) {
      // Forgotten by the controller (MinJobAge passed, or it restarted): the record tells what happened.
      if (++t.missingPolls < 3) return;
      return this.finish(t, "VANISHED", "");
    }
    t.missingPolls = 0;
    t.state = queued.state;
    if (queued.nodes) t.nodes = expandNodeList(queued.nodes);
    if (queued.state === "RUNNING" && !t.allocation) t.allocation = await this.allocation(t.id!);
    if (!isActiveState(queued.state)) await this.finish(t, queued.state, queued.reason);
  }

  private async allocation(id: string): Promise<Record<string, string>> {
    const fields = (await this.commands.show(id)) ?? {};
    const allocation: Record<string, string> = {};
    for (const pair of (fields["AllocTRES"] ?? fields["TRES"] ?? "").split(",")) {
      const [key, value] = pair.split("=");
      if (key && value) allocation[key] = value;
    }
    for (const [field, key] of [
      ["Partition", "partition"],
      ["TimeLimit", "time"],
      ["NumCPUs", "cpus"],
    ] as const)
      if (fields[field]) allocation[key] = fields[field];
    return allocation;
  }

  private async finish(t: Tracked, state: string, reason: string): Promise<void> {
    if (!this.tracked.delete(t)) return;
    const placement: TrialPlacement = {
      executor: "slurm",
      jobId: t.id!,
      nodes: t.nodes,
      allocation: { ...t.allocation, state },
    };
    const { manifest, recordError } = await this.readRecord(t.job);
    const lost =
      state === "VANISHED"
        ? manifest?.outcome
          ? null
          : { reason: `job ${t.id} left the queue without a record (see ${t.outFile})`, retryable: false }
        : lostReason(state, reason, t.nodes, t.stoppedByUs, this.options.settings);
    const why = t.stoppedByUs ? "was stopped before its capture wrote a record" : `ended ${state} without a record; see ${t.outFile}`;
    const noRecord = manifest === null && !lost ? { reason: `job ${t.id} ${why}`, retryable: false } : null;
    t.done({
      manifest,
      exitCode: manifest?.outcome?.exitCode ?? null,
      placement,
      ...(recordError && !lost && !noRecord ? { recordError } : {}),
      ...(lost || noRecord ? { lost: (lost ?? noRecord)! } : {}),
    });
  }

  private async readRecord(job: TrialJob): Promise<{ manifest: RunManifest | null; recordError?: string }> {
    const { root } = await findRoot(job.options.cwd);
    try {
      return { manifest: await readRun(join(root, ".mlx", "runs", job.options.runId)) };
    } catch (error) {
      return { manifest: null, recordError: describeError(error) };
    }
  }
}

function ids(tracked: readonly Tracked[]): string[] {
  return tracked.flatMap((t) => (t.id === undefined ? [] : [t.id]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
