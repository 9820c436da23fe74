// JSON Schema of bundle.yaml (kind: Bundle). Replay validates it before using anything in a bundle.
import { dateTime, runId, sha256 } from "./schema-parts.js";

// Stricter than a Run's paths: a bundle is untrusted, so drive letters and backslashes are refused too.
const relPath = { type: "string", pattern: "^(?!/)(?![A-Za-z]:)(?!.*(^|/)\\.\\.(/|$))(?!.*\\\\).+$" } as const;

export const bundleSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://mlx.dev/schema/bundle.schema.json",
  title: "mlx Bundle manifest",
  type: "object",
  required: ["apiVersion", "kind", "created", "mlxVersion", "runs", "image", "command", "data", "links"],
  additionalProperties: false,
  properties: {
    apiVersion: { const: "mlx/v1" },
    kind: { const: "Bundle" },
    created: dateTime,
    mlxVersion: { type: "string" },
    runs: { type: "array", minItems: 1, items: runId },
    group: runId,
    image: {
      type: "object",
      required: ["id", "file", "baseImage", "dependencies"],
      additionalProperties: false,
      properties: {
        id: { type: "string", pattern: "^sha256:[0-9a-f]{64}$" },
        file: { oneOf: [{ type: "null" }, { const: "image.tar" }] },
        baseImage: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._/:@-]*$" },
        dependencies: { enum: ["image", "context", "none"] },
      },
    },
    command: {
      type: "object",
      required: ["argv", "workdir"],
      additionalProperties: false,
      properties: {
        argv: { type: "array", minItems: 1, items: { type: "string" } },
        workdir: { type: "string", pattern: "^/app(/(?!\\.\\.(/|$))[^/]+)*$" },
      },
    },
    data: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "sizeBytes", "sha256"],
        additionalProperties: false,
        properties: { path: relPath, sizeBytes: { type: "integer", minimum: 0 }, sha256 },
      },
    },
    links: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "target"],
        additionalProperties: false,
        properties: { path: relPath, target: { type: "string" } },
      },
    },
  },
} as const;
