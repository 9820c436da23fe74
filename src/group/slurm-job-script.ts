// One trial as a Slurm job: sbatch's options from the spec's slurm: block, and the batch script that runs
// `mlx capture` of the trial on the compute node. Pure: text in, text out.
import type { CaptureOptions } from "../capture/capture-options.js";
import type { TrialJob } from "./executor.js";
import type { SlurmSettings } from "./slurm-spec.js";

/** sbatch's options for one trial's job (the batch script comes on stdin). */
export function sbatchArgs(settings: SlurmSettings, job: TrialJob, jobName: string, outFile: string): string[] {
  const args = [`--job-name=${jobName}`, `--chdir=${job.options.cwd}`, `--output=${outFile}`, "--no-requeue"];
  args.push("--ntasks=1", `--cpus-per-task=${settings.cpusPerTrial}`);
  if (settings.gpusPerTrial > 0) args.push(`--gres=gpu:${settings.gpusPerTrial}`);
  if (settings.partition) args.push(`--partition=${settings.partition}`);
  if (settings.mem) args.push(`--mem=${settings.mem}`);
  if (settings.time) args.push(`--time=${settings.time}`);
  if (settings.account) args.push(`--account=${settings.account}`);
  if (settings.qos) args.push(`--qos=${settings.qos}`);
  return [...args, ...settings.sbatchArgs];
}

/** The `mlx capture` command line that reproduces a trial's capture options on a compute node. */
export function captureArgv(mlx: readonly string[], job: TrialJob): string[] {
  const o: CaptureOptions & { workdir: string; runId: string } = job.options;
  const argv = [...mlx, "capture", `--run-id=${o.runId}`, `--workdir=${o.workdir}`, `--params=${JSON.stringify(o.params)}`];
  if (o.group) argv.push(`--group-trial=${o.group.id}:${o.group.trial}`);
  if (o.seed !== undefined) argv.push(`--seed=${o.seed}`);
  if (o.name !== undefined) argv.push(`--name=${o.name}`);
  for (const [flag, values] of [
    ["--tag", o.tags],
    ["--input", o.inputs],
    ["--output", o.outputs],
    ["--metrics-file", o.metricFiles],
    ["--env", o.envAllow],
  ] as const)
    for (const value of values) argv.push(`${flag}=${value}`);
  if (o.shell) argv.push("--shell");
  if (!o.seedPreload) argv.push("--no-seed-preload");
  argv.push(...(o.metricPattern === null ? ["--no-stdout-metrics"] : [`--metric-pattern=${o.metricPattern}`]));
  argv.push(`--max-untracked-size=${o.maxUntrackedBytes}`);
  if (o.includeSecretFiles) argv.push("--include-secret-files");
  return [...argv, "--", ...o.argv];
}

/** Single quotes around every word: the script runs exactly these words, nothing is expanded. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The batch script: the trial's extra environment, then `exec mlx capture` (so scancel --batch signals mlx itself). */
export function renderBatchScript(mlx: readonly string[], job: TrialJob): string {
  const lines = ["#!/bin/sh", `# mlx trial ${job.index}, attempt ${job.attempt}`];
  for (const [name, value] of Object.entries(job.options.extraEnv ?? {}))
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) lines.push(`export ${name}=${shellQuote(value)}`);
  lines.push(`exec ${captureArgv(mlx, job).map(shellQuote).join(" ")}`);
  return lines.join("\n") + "\n";
}
