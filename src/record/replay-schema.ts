// JSON Schema of a Replay record (kind: Replay), written by `mlx replay` to its --out folder.
import { metricValueOrNull } from "./schema-parts.js";


export const replaySchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://mlx.dev/schema/replay.schema.json",
  title: "mlx Replay record",
  type: "object",
  required: ["apiVersion", "kind", "createdAt", "mlxVersion", "bundle", "run", "verdict", "container", "metrics", "series", "outputs", "drift", "warnings"],
  additionalProperties: false,
  properties: {
    apiVersion: { const: "mlx/v1" },
    kind: { const: "Replay" },
    createdAt: { type: "string" },
    mlxVersion: { type: "string" },
    bundle: {
      type: "object",
      required: ["path", "imageId"],
      additionalProperties: false,
      properties: { path: { type: "string" }, imageId: { type: "string" } },
    },
    run: { type: "string" },
    verdict: { enum: ["reproduced", "diverged"] },
    container: {
      type: "object",
      required: ["exitCode", "originalExitCode", "oomKilled", "durationMs"],
      additionalProperties: false,
      properties: {
        exitCode: { type: "integer" },
        originalExitCode: { type: "integer" },
        oomKilled: { type: "boolean" },
        durationMs: { type: "number" },
        interruptedBy: { type: "string" },
        containerId: { type: "string" },
      },
    },
    metrics: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "original", "replay", "absDiff", "relDiff", "verdict"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          original: metricValueOrNull,
          replay: metricValueOrNull,
          absDiff: { type: ["number", "null"] },
          relDiff: { type: ["number", "null"] },
          verdict: { enum: ["same", "within", "diverged", "missing", "extra"] },
          reason: { type: "string" },
        },
      },
    },
    series: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "step", "original", "replay"],
        additionalProperties: false,
        properties: {
          name: { type: "string" },
          step: { type: "integer" },
          original: metricValueOrNull,
          replay: metricValueOrNull,
          lengths: { type: "array", items: { type: "integer" } },
        },
      },
    },
    outputs: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "original", "replay", "verdict"],
        additionalProperties: false,
        properties: {
          path: { type: "string" },
          original: { type: "string" },
          replay: { type: ["string", "null"] },
          verdict: { enum: ["same", "different", "missing", "unsafe"] },
          reason: { type: "string" },
        },
      },
    },
    drift: {
      type: "array",
      items: {
        type: "object",
        required: ["what", "original", "replay", "same"],
        additionalProperties: false,
        properties: { what: { type: "string" }, original: { type: "string" }, replay: { type: "string" }, same: { type: "boolean" } },
      },
    },
    warnings: { type: "array", items: { type: "string" } },
    group: {
      type: "object",
      required: ["id", "metric", "trials", "best", "spearman"],
      additionalProperties: false,
      properties: {
        id: { type: "string" },
        metric: { type: "string" },
        trials: {
          type: "array",
          items: {
            type: "object",
            required: ["index", "run", "verdict", "original", "replay"],
            additionalProperties: false,
            properties: {
              index: { type: "integer", minimum: 0 },
              run: { type: "string" },
              verdict: { enum: ["reproduced", "diverged"] },
              original: { type: ["number", "null"] },
              replay: { type: ["number", "null"] },
            },
          },
        },
        best: {
          type: "object",
          required: ["original", "replay", "stillBest"],
          additionalProperties: false,
          properties: { original: { type: ["integer", "null"] }, replay: { type: ["integer", "null"] }, stillBest: { type: ["boolean", "null"] } },
        },
        spearman: { type: ["number", "null"] },
      },
    },
  },
} as const;
