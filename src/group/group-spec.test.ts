import { describe, expect, it } from "vitest";
import { isGroupConfig, normalizeGroupSpec } from "./group-spec.js";

const file = {
  name: "s",
  kind: "group",
  num_trials: 5,
  sampler: "tpe",
  seed: 7,
  param_space: { lr: "loguniform(0.0001, 0.1)", hidden: [8, 16] },
  params: { batch: 16, epochs: 10 },
  metric: { name: "accuracy" },
  ray_config: { num_cpus: 3 },
  run: ["examples/iris/train.js"],
};

describe("normalizeGroupSpec", () => {
  it("reads the ml-experiment format, with its defaults", () => {
    const spec = normalizeGroupSpec(file, "s.yaml", { argv: [], defaultConcurrency: 2 });
    expect(spec).toMatchObject({
      name: "s",
      numTrials: 5,
      sampler: "tpe",
      seed: 7,
      concurrency: 3,
      paramsAs: "env",
      argv: ["node", "examples/iris/train.js"],
    });
    expect(spec.metric).toEqual({ name: "accuracy", direction: "maximize" });
    expect(spec.space.map(([n, d]) => [n, d.kind])).toEqual([
      ["lr", "loguniform"],
      ["hidden", "choice"],
    ]);
    expect(spec.spaceText).toEqual({ lr: "loguniform(0.0001, 0.1)", hidden: "choice([8,16])" });
  });

  it("lets --params, --param-space, --seed and the command after -- win over the file, never changing the file's object", () => {
    const before = JSON.stringify(file);
    const spec = normalizeGroupSpec(file, "s.yaml", {
      argv: ["python", "t.py"],
      params: '{"epochs": 3}',
      paramSpace: '{"lr": "uniform(0, 1)", "drop": "choice([0.1])"}',
      seed: 9,
      name: "cli",
      defaultConcurrency: 2,
    });
    expect(spec.params).toEqual({ batch: 16, epochs: 3 });
    expect(spec.spaceText).toMatchObject({ lr: "uniform(0, 1)", drop: "choice([0.1])", hidden: "choice([8,16])" });
    expect([spec.seed, spec.name, spec.argv]).toEqual([9, "cli", ["python", "t.py"]]);
    expect(JSON.stringify(file)).toBe(before);
  });

  it.each([
    [{ ...file, num_trials: "5" }, /\/num_trials must be integer/],
    [{ ...file, sampler: "bayes" }, /\/sampler must be equal to one of the allowed values: grid, random, tpe/],
    [{ ...file, param_space: {} }, /param_space is empty/],
    [{ ...file, param_space: { x: 5 } }, /param_space\/x must be string|must be a distribution/],
    [{ ...file, run: undefined }, /no command/],
  ])("refuses %j naming the field", (data, message) => {
    expect(() => normalizeGroupSpec(data, "s.yaml", { argv: [], defaultConcurrency: 1 })).toThrow(message);
  });

  it("tells a group spec from a run config", () => {
    expect(isGroupConfig(file)).toBe(true);
    expect(isGroupConfig({ kind: "Group" })).toBe(true);
    expect(isGroupConfig({ run: "node x.js", params: {} })).toBe(false);
  });
});
