// The schemas shipped in schema/ are the TypeBox sources written out by the build: each compiles under
// ajv's strict mode, admits a record of its kind and refuses a wrong one with a message naming the field.
import { readdirSync, readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { runConfigSchema } from "../capture/run-config.js";
import { groupSpecSchema } from "../group/group-spec.js";
import { bundleSchema } from "./bundle-schema.js";
import { groupSchema } from "./group-schema.js";
import { replaySchema } from "./replay-schema.js";
import { runSchema } from "./run-schema.js";
import type { BundleManifest, GroupManifest, ReplayReport, RunManifest } from "./types.js";
import {
  AJV_OPTIONS,
  precompiledName,
  renderSchemaErrors,
  validateBundle,
  validateGroup,
  validateReplay,
  validateRun,
} from "./validate.js";
import { runManifest } from "../../test/helpers/records.js";

const SCHEMA_DIR = new URL("../../schema/", import.meta.url);
const sources = [runSchema, bundleSchema, groupSchema, replaySchema, runConfigSchema, groupSpecSchema];
const digest = "d".repeat(64);

const run: RunManifest = runManifest({
  command: { argv: ["true"], redactedArgs: [], shell: false, cwd: "." },
  seed: { value: 7, source: "drawn", preload: false },
});

const bundle: BundleManifest = {
  apiVersion: "mlx/v1",
  kind: "Bundle",
  created: "2026-11-23T15:07:52.000Z",
  mlxVersion: "0.1.0",
  runs: [run.id],
  image: { id: `sha256:${digest}`, file: "image.tar", baseImage: "node:20-slim", dependencies: "image" },
  command: { argv: ["node", "train.js"], workdir: "/app/examples/iris" },
  data: [{ path: "data/x.csv", sizeBytes: 3, sha256: digest }],
  links: [{ path: "latest", target: "data" }],
};

const group: GroupManifest = {
  apiVersion: "mlx/v1",
  kind: "Group",
  id: "20261123-150752-000-ffffff",
  name: "search",
  createdAt: "2026-11-23T15:07:52.000Z",
  mlxVersion: "0.1.0",
  status: "succeeded",
  spec: {
    sampler: "grid",
    seed: 0,
    numTrials: 2,
    concurrency: 1,
    metric: { name: "acc", direction: "maximize" },
    paramSpace: { lr: "choice([0.1, 0.2])" },
    params: {},
    argv: ["node", "train.js"],
    paramsAs: "env",
  },
  trials: [
    { index: 0, runId: run.id, seed: 1, params: { lr: 0.1 }, status: "succeeded", exitCode: 0, metric: 0.9 },
    { index: 1, runId: null, seed: 2, params: { lr: 0.2 }, status: "pending", exitCode: null, metric: null },
  ],
  best: { index: 0, runId: run.id, metric: 0.9 },
  warnings: [],
};

const replay: ReplayReport = {
  apiVersion: "mlx/v1",
  kind: "Replay",
  createdAt: "2026-11-23T15:07:52.000Z",
  mlxVersion: "0.1.0",
  bundle: { path: "bundle.tar", imageId: `sha256:${digest}` },
  run: run.id,
  verdict: "diverged",
  container: { exitCode: 0, originalExitCode: 0, oomKilled: false, durationMs: 12 },
  metrics: [{ name: "loss", original: 0.5, replay: "NaN", absDiff: null, relDiff: null, verdict: "diverged", reason: "NaN" }],
  series: [{ name: "loss", step: 1, original: 0.5, replay: 0.6, lengths: [2, 1] }],
  outputs: [{ path: "model.bin", original: digest, replay: null, verdict: "missing" }],
  drift: [{ what: "cpu", original: "EPYC", replay: "Xeon", same: false }],
  warnings: [],
};

/** [file in schema/, a valid record, a wrong one, what the error names] */
const cases: Array<[string, unknown, unknown, RegExp]> = [
  ["run", run, { ...run, status: "done" }, /\/status must be equal to one of the allowed values: running/],
  ["run", run, { ...run, git: { available: true, reason: "x" } }, /\/git must have required property 'commit'/],
  [
    "bundle",
    bundle,
    { ...bundle, image: { ...bundle.image, file: "other.tar" } },
    /\/image\/file must be null; \/image\/file must be equal to constant/,
  ],
  ["bundle", bundle, { ...bundle, data: [{ path: "../x", sizeBytes: 1, sha256: digest }] }, /\/data\/0\/path must match pattern/],
  [
    "group",
    group,
    { ...group, trials: [{ ...group.trials[0]!, metric: true }] },
    /\/trials\/0\/metric must be number.*NaN, Infinity, -Infinity/,
  ],
  ["group", group, { ...group, best: { index: 0 } }, /\/best must be null; \/best must have required property 'runId'/],
  [
    "replay",
    replay,
    { ...replay, series: [{ ...replay.series[0]!, lengths: [2] }] },
    /\/series\/0\/lengths must NOT have fewer than 2 items/,
  ],
  ["replay", replay, { ...replay, verdict: "same" }, /\/verdict must be equal to one of the allowed values: reproduced, diverged/],
  ["run-config", { run: "node train.js", seed: "42", tolerances: { loss: { rtol: 0.1 } } }, { run: " " }, /\/run must match pattern/],
  [
    "run-config",
    { command: ["node", "train.js"], shell: true },
    { tolerances: { loss: { rtol: -1 } } },
    /\/tolerances\/loss\/rtol must be >= 0/,
  ],
  [
    "group-spec",
    { param_space: { lr: "uniform(0, 1)", bs: [16, 32] }, metric: { name: "acc" } },
    { metric: { name: "acc" } },
    /must have required property 'param_space'/,
  ],
  [
    "group-spec",
    { param_space: { lr: [1, "a", true] }, metric: { name: "acc" } },
    { param_space: { lr: [null] }, metric: { name: "a" } },
    /\/param_space\/lr/,
  ],
];

function readShipped(name: string): object {
  return JSON.parse(readFileSync(new URL(`${name}.schema.json`, SCHEMA_DIR), "utf8")) as object;
}

describe("schema/*.schema.json", () => {
  it("holds exactly the schemas the sources build, as the build writes them", () => {
    const files = readdirSync(SCHEMA_DIR)
      .filter((f) => f.endsWith(".schema.json"))
      .sort();
    expect(files).toEqual(sources.map((s) => `${precompiledName(s.$id ?? "")}.schema.json`).sort());
    for (const schema of sources) expect(readShipped(precompiledName(schema.$id ?? ""))).toEqual(JSON.parse(JSON.stringify(schema)));
  });

  it.each(cases)(
    "%s: compiles in strict mode, admits a valid record, refuses a wrong one naming the field",
    (name, valid, wrong, message) => {
      const validate = new Ajv(AJV_OPTIONS).compile(readShipped(name));
      expect(validate(valid), renderSchemaErrors(validate.errors)).toBe(true);
      expect(validate(wrong)).toBe(false);
      expect(renderSchemaErrors(validate.errors)).toMatch(message);
    },
  );

  it("refuses what strict mode forbids, so the compile above can fail", () => {
    expect(() => new Ajv(AJV_OPTIONS).compile({ type: "object", properties: { a: { type: "string", minLenght: 1 } } })).toThrow(
      /unknown keyword/,
    );
  });
});

describe("validate*", () => {
  it.each([
    ["validateRun", () => validateRun(structuredClone(run), "m.yaml"), run],
    ["validateBundle", () => validateBundle(structuredClone(bundle), "bundle.yaml"), bundle],
    ["validateGroup", () => validateGroup(structuredClone(group), "group.yaml"), group],
    ["validateReplay", () => validateReplay(structuredClone(replay), "replay.yaml"), replay],
  ])("%s returns the record it was given", (_, call, record) => {
    expect(call()).toEqual(record);
  });

  it.each([
    [
      "validateBundle",
      () => validateBundle({ ...bundle, runs: [] }, "bundle.yaml"),
      /bundle\.yaml is invalid: \/runs must NOT have fewer than 1 items/,
    ],
    [
      "validateGroup",
      () => validateGroup({ ...group, kind: "Run" }, "group.yaml"),
      /group\.yaml is invalid: \/kind must be equal to constant/,
    ],
    [
      "validateReplay",
      () => validateReplay({ ...replay, extra: 1 }, "replay.yaml"),
      /replay\.yaml is invalid: \/ must NOT have additional properties 'extra'/,
    ],
  ])("%s refuses a wrong record, naming the file and the field", (_, call, message) => {
    expect(call).toThrow(message);
  });
});
