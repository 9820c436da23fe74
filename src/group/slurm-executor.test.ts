import { describe, expect, it } from "vitest";
import { normalizeCaptureOptions } from "../capture/capture-options.js";
import { runProcess } from "../primitives/run-process.js";
import type { TrialJob } from "./executor.js";
import { lostReason } from "./slurm-executor.js";
import { captureArgv, renderBatchScript, sbatchArgs } from "./slurm-job-script.js";
import type { SlurmSettings } from "./slurm-spec.js";
import { rawCaptureOptions } from "../../test/helpers/capture-in.js";

const raw = rawCaptureOptions({ tag: ["group:g1"], input: ["data/it's here.csv"], output: ["model"] });
const argv = ["node", "train.js", '--note=it\'s $HOME `x` "q"', "a b"];
const job: TrialJob = {
  index: 3,
  attempt: 1,
  options: {
    ...normalizeCaptureOptions(raw, argv, "/repo/src"),
    params: { lr: 0.1, name: "o'brien" },
    seed: 42,
    name: "s-3",
    group: { id: "g1", trial: 3 },
    workdir: "/repo/.mlx/work/g1/3-1/src",
    runId: "20261127-070000-000-abcdef",
    extraEnv: { CUDA_VISIBLE_DEVICES: "0,1", "BAD NAME": "x" },
  },
};
const settings: SlurmSettings = { cpusPerTrial: 2, gpusPerTrial: 1, partition: "gpu", time: "1:00:00", sbatchArgs: ["--exclusive"] };

describe("sbatchArgs", () => {
  it("asks for the trial's resources, never requeues (mlx retries), and adds sbatch_args last", () => {
    expect(sbatchArgs(settings, job, "mlx-g1", "/repo/.mlx/slurm/x.out")).toEqual([
      "--job-name=mlx-g1",
      "--chdir=/repo/src",
      "--output=/repo/.mlx/slurm/x.out",
      "--no-requeue",
      "--ntasks=1",
      "--cpus-per-task=2",
      "--gres=gpu:1",
      "--partition=gpu",
      "--time=1:00:00",
      "--exclusive",
    ]);
  });

  it("leaves out what the spec does not set", () => {
    const args = sbatchArgs({ cpusPerTrial: 1, gpusPerTrial: 0, sbatchArgs: [] }, job, "n", "o");
    expect(args.filter((a) => /gres|partition|mem|time|account|qos/.test(a))).toEqual([]);
  });
});

describe("renderBatchScript", () => {
  it("runs exactly the trial's capture command line through sh, whatever quotes and dollars it holds", async () => {
    const echo = [
      process.execPath,
      "-e",
      "console.log(JSON.stringify({argv: process.argv.slice(1), cuda: process.env.CUDA_VISIBLE_DEVICES}))",
    ];
    const script = renderBatchScript(echo, job);
    expect(script).not.toContain("BAD NAME");
    const result = await runProcess("/bin/sh", ["-s"], { cwd: "/", input: Buffer.from(script) });
    expect(result.stderr).toBe("");
    const printed = JSON.parse(result.stdout.toString()) as { argv: string[]; cuda: string };
    expect(printed.cuda).toBe("0,1");
    expect(printed.argv).toEqual(captureArgv([], job));
    expect(printed.argv).toEqual(expect.arrayContaining(["--run-id=20261127-070000-000-abcdef", "--group-trial=g1:3", "--seed=42"]));
    expect(printed.argv).toContain(`--params={"lr":0.1,"name":"o'brien"}`);
    expect(printed.argv).toContain("--input=data/it's here.csv");
    expect(printed.argv.slice(printed.argv.indexOf("--") + 1)).toEqual(argv);
  });
});

describe("lostReason", () => {
  const s: SlurmSettings = { cpusPerTrial: 1, gpusPerTrial: 0, time: "0:05", sbatchArgs: [] };
  it.each([
    ["COMPLETED", "None", false, null],
    ["FAILED", "NonZeroExitCode", false, null],
    ["CANCELLED", "None", true, null],
    ["FAILED", "JobLaunchFailure", true, null],
    ["CANCELLED", "None", false, { reason: "the job was cancelled outside mlx on n1", retryable: false }],
    ["TIMEOUT", "TimeLimit", false, { reason: "Slurm's time limit ended the job on n1 (slurm.time: 0:05)", retryable: true }],
    [
      "OUT_OF_MEMORY",
      "None",
      false,
      { reason: "Slurm's memory limit ended the job on n1 (slurm.mem: the partition's default)", retryable: true },
    ],
    ["NODE_FAIL", "NodeDown", false, { reason: "the node failed on n1", retryable: true }],
    ["FAILED", "JobLaunchFailure", false, { reason: "the node failed on n1 (JobLaunchFailure)", retryable: true }],
    ["DEADLINE", "None", false, { reason: "the job ended DEADLINE on n1", retryable: false }],
  ])("%s (%s), stopped by mlx: %s", (state, reason, ours, lost) => {
    expect(lostReason(state, reason, ["n1"], ours, s)).toEqual(lost);
  });
});
