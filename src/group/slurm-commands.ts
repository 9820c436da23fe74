// Slurm's command-line tools (sbatch, squeue, scontrol, scancel) behind a few functions, and the pure
// parsers of what they print. Which cluster they talk to is theirs to find (SLURM_CONF, /etc/slurm).
import { BadInputError, EnvironmentError } from "../errors.js";
import { describeFailure, type ProcessResult, runProcess } from "../primitives/run-process.js";

/** One job as `squeue -o '%i|%T|%N|%r'` shows it. */
export interface QueuedJob {
  readonly id: string;
  readonly state: string;
  /** Empty while pending. */
  readonly nodes: string;
  readonly reason: string;
}

export const SQUEUE_FORMAT = "%i|%T|%N|%r";

/** States in which a job still holds, or waits for, a place in the cluster. */
const ACTIVE_STATES = new Set([
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "REQUEUE_FED",
  "REQUEUE_HOLD",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
]);

export function isActiveState(state: string): boolean {
  return ACTIVE_STATES.has(state);
}

/** `sbatch --parsable` prints `<id>` or `<id>;<cluster>`. */
export function parseSbatchParsable(stdout: string): string {
  const id = stdout.trim().split(";")[0] ?? "";
  if (!/^\d+(_\d+)?$/.test(id)) throw new Error(`sbatch printed no job id: '${stdout.trim().slice(0, 200)}'`);
  return id;
}

export function parseSqueue(stdout: string): QueuedJob[] {
  const jobs: QueuedJob[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.trim()) continue;
    const [id = "", state = "", nodes = "", reason = ""] = line.trim().split("|");
    jobs.push({ id, state, nodes, reason });
  }
  return jobs;
}

/** `scontrol show job -o <id>`: one line of Key=Value pairs (values have no spaces in the fields mlx reads). */
export function parseScontrolJob(stdout: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const pair of stdout.trim().split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq > 0) fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return fields;
}

/** `n[1-3],gpu7` -> n1, n2, n3, gpu7 (the forms squeue prints; nested brackets are not). */
export function expandNodeList(list: string): string[] {
  const nodes: string[] = [];
  for (const part of list.match(/[^,[]+(\[[^\]]*\])?/g) ?? []) {
    const m = /^([^[]*)\[([^\]]*)\]$/.exec(part);
    if (!m) {
      if (part && part !== "(null)") nodes.push(part);
      continue;
    }
    for (const range of m[2]!.split(",")) {
      const [from = "", to = from] = range.split("-");
      for (let n = Number(from); n <= Number(to); n++) nodes.push(`${m[1]}${String(n).padStart(from.length, "0")}`);
    }
  }
  return nodes;
}

/** What sbatch's refusal means: the spec's fault (exit 2, naming the setting) or Slurm's (exit 3). */
export function sbatchRefusal(stderr: string, failure: string): BadInputError | EnvironmentError {
  const text = stderr.trim() || failure;
  const shown = text.split("\n").slice(-3).join(" / ");
  const settings: Array<[RegExp, string]> = [
    [/partition/i, "slurm.partition"],
    [/gres|gpu/i, "slurm.gpus_per_trial"],
    [/memory/i, "slurm.mem"],
    [/time limit|invalid time/i, "slurm.time"],
    [/qos/i, "slurm.qos"],
    [/account/i, "slurm.account"],
    [/node configuration is not available|more processors|cpu count|cpus/i, "slurm.cpus_per_trial"],
    [/unrecognized option|invalid option|unknown option/i, "slurm.sbatch_args"],
  ];
  for (const [pattern, setting] of settings) {
    if (pattern.test(text))
      return new BadInputError(
        `Slurm refused the trial's job: ${shown}`,
        `Check ${setting} in the search spec (or --slurm on the command line).`,
      );
  }
  if (/unable to contact|connection refused|configuration|zero bytes|socket timed out|could not start/i.test(text))
    return new EnvironmentError(
      `Slurm is not reachable: sbatch said: ${shown}`,
      "Start slurmctld, or point SLURM_CONF at the cluster's slurm.conf; `sinfo` should answer.",
    );
  return new BadInputError(`Slurm refused the trial's job: ${shown}`, "Check the slurm: settings of the search spec.");
}

/** The tools, run through the one process runner; every call is bounded in time. */
export class SlurmCommands {
  constructor(private readonly cwd: string) {}

  /** Submits a batch script (given on stdin); resolves with the job id. */
  async submit(args: readonly string[], script: string): Promise<string> {
    const result = await this.run("sbatch", ["--parsable", ...args], Buffer.from(script));
    const failure = describeFailure(result);
    if (failure !== null) {
      if (result.error?.code === "ENOENT")
        throw new EnvironmentError("sbatch is not installed here", "Run the search on a Slurm login node, or use executor: local.");
      throw sbatchRefusal(result.stderr, failure);
    }
    return parseSbatchParsable(result.stdout.toString());
  }

  /** Every job of this name that the controller still remembers, finished ones included. */
  async list(jobName: string): Promise<QueuedJob[]> {
    const result = await this.run("squeue", ["-h", "-t", "all", `--name=${jobName}`, "-o", SQUEUE_FORMAT]);
    const failure = describeFailure(result);
    if (failure !== null)
      throw new EnvironmentError(`squeue failed: ${result.stderr.trim() || failure}`, "Check that slurmctld answers (`sinfo`).");
    return parseSqueue(result.stdout.toString());
  }

  /** The job's fields, or null once the controller has forgotten it. */
  async show(id: string): Promise<Record<string, string> | null> {
    const result = await this.run("scontrol", ["show", "job", "-o", id]);
    return describeFailure(result) === null ? parseScontrolJob(result.stdout.toString()) : null;
  }

  /** `signal` only signals the batch shell (mlx capture, which forwards it); without it the job is cancelled. */
  async cancel(ids: readonly string[], signal?: "TERM" | "INT"): Promise<void> {
    if (ids.length === 0) return;
    const args = signal ? ["--batch", `--signal=${signal}`, ...ids] : [...ids];
    await this.run("scancel", args);
  }

  private run(file: string, args: readonly string[], input?: Uint8Array): Promise<ProcessResult> {
    return runProcess(file, args, { cwd: this.cwd, timeoutMs: 30_000, ...(input ? { input } : {}) });
  }
}
