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

const opt = Type.Optional;

/** Where an attempt ran: the executor, and for a scheduler its job id, nodes and what it granted. */
export const placementSchema = closed({
  executor: stringEnum(["local", "slurm"]),
  jobId: opt(Type.String()),
  nodes: opt(Type.Array(Type.String())),
  allocation: opt(dict(Type.String())),
});

/** An attempt its executor lost (node died, time limit): the trial was run again while retries were left. */
export const lostAttemptSchema = closed({
  attempt: nonNegInt,
  runId: Type.Union([runId, Type.Null()]),
  reason: Type.String(),
  placement: placementSchema,
});

export const groupTrialSchema = closed({
  index: nonNegInt,
  runId: Type.Union([runId, Type.Null()]),
  seed: seedValue,
  params: anyObject(),
  status: stringEnum(["pending", "pruned", "lost", ...RUN_STATUSES]),
  exitCode: ofTypes(["integer", "null"]),
  metric: Type.Union(metricValueOrNull.anyOf, {
    description: "The objective metric's final value; null when the trial did not report it.",
  }),
  placement: opt(placementSchema),
  /** Earlier attempts lost by the executor, oldest first. */
  lost: opt(Type.Array(lostAttemptSchema)),
  /** Set when the pruner stopped the trial: the step it decided at and the trial's best value up to it. */
  pruned: opt(closed({ step: nonNegInt, value: metricValueOrNull })),
  /** CUDA_VISIBLE_DEVICES it ran with, when the spec asked for GPUs per trial. */
  gpus: opt(Type.String()),
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
      executor: opt(stringEnum(["local", "slurm"])),
      maxRetries: opt(nonNegInt),
      pruner: opt(Type.String()),
      gpusPerTrial: opt(Type.Number({ minimum: 0 })),
    }),
    trials: Type.Array(groupTrialSchema),
    best: Type.Union([Type.Null(), closed({ index: nonNegInt, runId, metric: Type.Number() })]),
    warnings: Type.Array(Type.String()),
    /** Which node ran which trials (by index), for a search spread over hosts. */
    nodes: opt(dict(Type.Array(nonNegInt))),
    /** The process running the search and its host: a search whose process is gone reads as interrupted. */
    pid: opt(Type.Integer({ minimum: 1 })),
    host: opt(Type.String()),
  },
  { $schema: DRAFT_07, $id: "https://mlx.dev/schema/group.schema.json", title: "mlx Group record" },
);
