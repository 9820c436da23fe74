// JSON Schema of a Group record (kind: Group), .mlx/groups/<id>/group.yaml: a search and its trials.
// types.ts derives GroupManifest and GroupTrial from it.
import * as Type from "@sinclair/typebox/type";
import {
  API_VERSION,
  DRAFT_07,
  RUN_STATUSES,
  anyObject,
  closed,
  dateTime,
  dict,
  metricValueOrNull,
  nonNegInt,
  ofTypes,
  runId,
  seedValue,
  stringEnum,
} from "./schema-parts.js";

export const groupTrialSchema = closed({
  index: nonNegInt,
  runId: Type.Union([runId, Type.Null()]),
  seed: seedValue,
  params: anyObject(),
  status: stringEnum(["pending", ...RUN_STATUSES]),
  exitCode: ofTypes(["integer", "null"]),
  metric: Type.Union(metricValueOrNull.anyOf, {
    description: "The objective metric's final value; null when the trial did not report it.",
  }),
});

export const groupSchema = closed(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("Group"),
    id: runId,
    name: Type.String(),
    createdAt: dateTime,
    mlxVersion: Type.String(),
    status: stringEnum(["running", "succeeded", "failed", "interrupted"]),
    spec: closed({
      sampler: stringEnum(["grid", "random", "tpe"]),
      seed: seedValue,
      numTrials: Type.Integer({ minimum: 1 }),
      concurrency: Type.Integer({ minimum: 1 }),
      metric: closed({ name: Type.String(), direction: stringEnum(["maximize", "minimize"]) }),
      paramSpace: dict(Type.String()),
      params: anyObject(),
      argv: Type.Array(Type.String(), { minItems: 1 }),
      paramsAs: stringEnum(["env", "flags"]),
    }),
    trials: Type.Array(groupTrialSchema),
    best: Type.Union([Type.Null(), closed({ index: nonNegInt, runId, metric: Type.Number() })]),
    warnings: Type.Array(Type.String()),
  },
  { $schema: DRAFT_07, $id: "https://mlx.dev/schema/group.schema.json", title: "mlx Group record" },
);
