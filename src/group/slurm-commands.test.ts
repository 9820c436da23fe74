import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BadInputError, EnvironmentError } from "../errors.js";
import { expandNodeList, isActiveState, parseSbatchParsable, parseScontrolJob, parseSqueue, sbatchRefusal } from "./slurm-commands.js";

// Outputs recorded from Debian's slurm-wlm 22.05.8 (a two-node cluster on one host).
const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/slurm/${name}`, import.meta.url), "utf8");

describe("parseSbatchParsable", () => {
  it.each([
    ["12\n", "12"],
    ["12;cluster-a\n", "12"],
    ["7_3\n", "7_3"],
  ])("reads the job id from %j", (stdout, id) => expect(parseSbatchParsable(stdout)).toBe(id));

  it("fails when sbatch printed no id", () => expect(() => parseSbatchParsable("Submitted batch job\n")).toThrow(/no job id/));
});

describe("parseSqueue", () => {
  it("reads every job of `squeue -h -t all -o '%i|%T|%N|%r'`, nodes empty while pending", () => {
    const jobs = parseSqueue(fixture("squeue-all.txt"));
    expect(jobs).toHaveLength(7);
    expect(jobs[0]).toEqual({ id: "3", state: "PENDING", nodes: "", reason: "Resources" });
    expect(jobs[1]).toEqual({ id: "1", state: "RUNNING", nodes: "n1", reason: "None" });
    expect(jobs.map((j) => isActiveState(j.state))).toEqual([true, true, true, false, false, false, false]);
  });
});

describe("parseScontrolJob", () => {
  it("reads the fields of a running job", () => {
    const job = parseScontrolJob(fixture("scontrol-show-job-running.txt"));
    expect(job).toMatchObject({ JobId: "1", JobState: "RUNNING", NodeList: "n1", Partition: "debug", NumCPUs: "1" });
    expect(job["TRES"]).toBe("cpu=1,node=1,billing=1");
  });

  it("reads a job whose node died under it", () => {
    const job = parseScontrolJob(fixture("scontrol-show-job-launch-failure.txt"));
    expect(job).toMatchObject({ JobState: "FAILED", Reason: "JobLaunchFailure", NodeList: "n2" });
  });
});

describe("expandNodeList", () => {
  it.each([
    ["n1", ["n1"]],
    ["n[1-2]", ["n1", "n2"]],
    ["gpu[01-03,07],cpu5", ["gpu01", "gpu02", "gpu03", "gpu07", "cpu5"]],
    ["", []],
    ["(null)", []],
  ])("%s", (list, nodes) => expect(expandNodeList(list)).toEqual(nodes));
});

describe("sbatchRefusal", () => {
  it.each([
    ["sbatch-bad-partition.txt", BadInputError, /slurm\.partition/],
    ["sbatch-bad-gres.txt", BadInputError, /slurm\.gpus_per_trial/],
    ["sbatch-bad-mem.txt", BadInputError, /slurm\.mem/],
    ["sbatch-no-config.txt", EnvironmentError, /SLURM_CONF/],
    ["sbatch-controller-down.txt", EnvironmentError, /slurmctld/],
  ])("%s: the right exit code, naming what to fix", (name, type, hint) => {
    const error = sbatchRefusal(fixture(name), "exit code 1");
    expect(error).toBeInstanceOf(type);
    expect(error.hint).toMatch(hint);
    expect(error.message).toContain("sbatch: error:");
  });
});
