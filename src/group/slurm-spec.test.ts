import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { normalizeGroupSpec } from "./group-spec.js";

const spec = { param_space: { lr: "uniform(0, 1)" }, metric: { name: "acc" }, run: "node t.js" };
const cli = { argv: [], defaultConcurrency: 2 };

describe("the executor keys of a search spec", () => {
  it("runs trials locally unless told otherwise, with Slurm's defaults ready", () => {
    const s = normalizeGroupSpec(spec, "s.yaml", cli);
    expect(s.executor).toBe("local");
    expect(s.slurm).toEqual({ cpusPerTrial: 1, gpusPerTrial: 0, sbatchArgs: [] });
  });

  it("reads executor: slurm and the slurm: block; --executor and --slurm win key by key", () => {
    const file = { ...spec, executor: "slurm", slurm: { partition: "cpu", cpus_per_trial: 4, mem: "8G", time: "2:00:00", qos: "low" } };
    expect(normalizeGroupSpec(file, "s.yaml", cli).slurm).toEqual({
      partition: "cpu",
      cpusPerTrial: 4,
      gpusPerTrial: 0,
      mem: "8G",
      time: "2:00:00",
      qos: "low",
      sbatchArgs: [],
    });
    const over = normalizeGroupSpec(file, "s.yaml", { ...cli, executor: "local", slurm: '{"partition": "gpu", "gpus_per_trial": 2}' });
    expect(over.executor).toBe("local");
    expect(over.slurm).toMatchObject({ partition: "gpu", gpusPerTrial: 2, cpusPerTrial: 4, mem: "8G" });
  });

  it.each([
    [{ executor: "ray" }, {}, /executor/],
    [{}, { executor: "ray" }, /--executor 'ray'/],
    [{ slurm: { partiton: "x" } }, {}, /partiton/],
    [{ slurm: { cpus_per_trial: 0 } }, {}, /cpus_per_trial/],
    [{ slurm: { partition: "--wrap=rm" } }, {}, /partition/],
    [{ slurm: { mem: "lots" } }, {}, /mem/],
    [{}, { slurm: "{partition" }, /--slurm is not valid JSON/],
    [{}, { slurm: "[1]" }, /--slurm must be a JSON object/],
    [{ ray_config: { address: "ray://head:10001" } }, {}, /ray_config.address 'ray:\/\/head:10001'.*not supported/],
    [{ ray_config: { address: "auto" } }, {}, /not supported/],
  ])("refuses %j %j with exit 2", (extra, over, message) => {
    const call = (): unknown => normalizeGroupSpec({ ...spec, ...extra }, "s.yaml", { ...cli, ...over });
    expect(call).toThrow(BadInputError);
    expect(call).toThrow(message);
  });

  it("keeps ray_config working locally: num_cpus is the concurrency, address: local is fine", () => {
    const s = normalizeGroupSpec({ ...spec, ray_config: { num_cpus: 3, address: "local" } }, "s.yaml", cli);
    expect(s.concurrency).toBe(3);
  });

  it("names the executor flags' hint for a remote Ray cluster", () => {
    try {
      normalizeGroupSpec({ ...spec, ray_config: { address: "10.0.0.1:6379" } }, "s.yaml", cli);
      expect.unreachable();
    } catch (error) {
      expect((error as BadInputError).hint).toMatch(/executor: slurm/);
    }
  });
});
