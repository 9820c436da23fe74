// The seam between a search and where its trials run: the search samples, schedules and records; an
// executor runs one trial (in this process, or as a Slurm job on a compute node) and says how it ended.
import type { CaptureOptions } from "../capture/capture-options.js";
import type { RunManifest } from "../record/types.js";

/** One attempt at one trial, complete: the executor adds nothing to what the trial runs. */
export interface TrialJob {
  readonly index: number;
  /** 0 for the first try; a trial lost to its executor (node died, time limit) is tried again. */
  readonly attempt: number;
  /** The trial's capture: argv, params, seed, name, tags, group, cwd, and its own `workdir` and `runId`. */
  readonly options: CaptureOptions & { readonly workdir: string; readonly runId: string };
}

/** Where a trial ran, for its record and the group's. */
export interface TrialPlacement {
  readonly executor: "local" | "slurm";
  readonly jobId?: string;
  readonly nodes?: readonly string[];
  /** What the scheduler granted: cpus, gpus, mem, partition, ... as it reported them. */
  readonly allocation?: Readonly<Record<string, string>>;
}

export interface TrialOutcome {
  /** The trial's record as written; null when none was (the job never started, or its node died first). */
  readonly manifest: RunManifest | null;
  /** The command's exit code; null when it never ended on its own. */
  readonly exitCode: number | null;
  readonly recordError?: string;
  readonly placement: TrialPlacement;
  /**
   * Set when the executor, not the command, ended the trial: a node failure, the scheduler's time or
   * memory limit, a cancelled job. `retryable` trials are run again up to the search's retry budget.
   */
  readonly lost?: { readonly reason: string; readonly retryable: boolean };
}

export interface RunningTrial {
  readonly outcome: Promise<TrialOutcome>;
  /** Resolves when the command has ended, before the outcome (its record) is ready; absent: the outcome says it. */
  readonly exited?: Promise<void>;
  /** Ends the trial early: SIGTERM, then a kill after the grace period (on Slurm through `scancel --signal`). */
  stop(reason: "pruned" | "interrupted"): void;
}

export interface TrialExecutor {
  readonly name: "local" | "slurm";
  start(job: TrialJob): RunningTrial;
  /** Cancels every trial still queued or running (the reviewer pressed Ctrl-C); resolves when none is left. */
  cancelAll(): Promise<void>;
}
