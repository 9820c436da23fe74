// JSON Schema of a Group record (kind: Group), .mlx/groups/<id>/group.yaml.
import { dateTime, metricValueOrNull, nonNegInt, runId } from "./schema-parts.js";


export const groupSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://mlx.dev/schema/group.schema.json",
  title: "mlx Group record",
  type: "object",
  required: ["apiVersion", "kind", "id", "name", "createdAt", "mlxVersion", "status", "spec", "trials", "best", "warnings"],
  additionalProperties: false,
  properties: {
    apiVersion: { const: "mlx/v1" },
    kind: { const: "Group" },
    id: runId,
    name: { type: "string" },
    createdAt: dateTime,
    mlxVersion: { type: "string" },
    status: { enum: ["running", "succeeded", "failed", "interrupted"] },
    spec: {
      type: "object",
      required: ["sampler", "seed", "numTrials", "concurrency", "metric", "paramSpace", "params", "argv", "paramsAs"],
      additionalProperties: false,
      properties: {
        sampler: { enum: ["grid", "random", "tpe"] },
        seed: { type: "integer", minimum: 0, maximum: 4294967295 },
        numTrials: { type: "integer", minimum: 1 },
        concurrency: { type: "integer", minimum: 1 },
        metric: {
          type: "object",
          required: ["name", "direction"],
          additionalProperties: false,
          properties: { name: { type: "string" }, direction: { enum: ["maximize", "minimize"] } },
        },
        paramSpace: { type: "object", additionalProperties: { type: "string" } },
        params: { type: "object" },
        argv: { type: "array", minItems: 1, items: { type: "string" } },
        paramsAs: { enum: ["env", "flags"] },
      },
    },
    trials: {
      type: "array",
      items: {
        type: "object",
        required: ["index", "runId", "seed", "params", "status", "exitCode", "metric"],
        additionalProperties: false,
        properties: {
          index: nonNegInt,
          runId: { oneOf: [runId, { type: "null" }] },
          seed: { type: "integer", minimum: 0, maximum: 4294967295 },
          params: { type: "object" },
          status: { enum: ["pending", "running", "succeeded", "failed", "interrupted", "not-found", "not-executable"] },
          exitCode: { type: ["integer", "null"] },
          metric: metricValueOrNull,
        },
      },
    },
    best: {
      oneOf: [
        { type: "null" },
        {
          type: "object",
          required: ["index", "runId", "metric"],
          additionalProperties: false,
          properties: { index: nonNegInt, runId, metric: { type: "number" } },
        },
      ],
    },
    warnings: { type: "array", items: { type: "string" } },
  },
} as const;
