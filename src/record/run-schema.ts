// JSON Schema of the Run record (kind: Run). Every read and every write goes through it.
// Written out to schema/run.schema.json at build time so it ships with the package.

import { dateTime, metricValue, nonNegInt, runId, sha256 } from "./schema-parts.js";

const str = { type: "string" } as const;
// A path recorded relative to the repository root: no absolute paths, no "..".
const relPath = { type: "string", pattern: "^(?!/)(?!.*(^|/)\\.\\.(/|$)).+$" } as const;

const unavailable = {
  type: "object",
  required: ["available", "reason"],
  additionalProperties: false,
  properties: { available: { const: false }, reason: str },
} as const;

function probed(properties: Record<string, unknown>, required: string[]) {
  return {
    oneOf: [
      {
        type: "object",
        required: ["available", ...required],
        additionalProperties: false,
        properties: { available: { const: true }, ...properties },
      },
      unavailable,
    ],
  };
}


const hashedFile = {
  type: "object",
  required: ["path", "sizeBytes", "sha256"],
  additionalProperties: false,
  properties: { path: relPath, sizeBytes: nonNegInt, sha256 },
} as const;

const hashedPath = {
  type: "object",
  required: ["path", "kind", "sizeBytes", "sha256"],
  additionalProperties: false,
  properties: {
    path: relPath,
    kind: { enum: ["file", "dir"] },
    sizeBytes: nonNegInt,
    sha256,
    files: { type: "array", items: hashedFile },
  },
} as const;

export const runSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: "https://mlx.dev/schema/run.schema.json",
  title: "mlx Run record",
  type: "object",
  required: [
    "apiVersion", "kind", "id", "tags", "status", "createdAt", "mlxVersion",
    "command", "params", "seed", "env", "inputs", "outputs", "logs", "warnings",
  ],
  additionalProperties: false,
  properties: {
    apiVersion: { const: "mlx/v1" },
    kind: { const: "Run" },
    id: runId,
    name: { type: "string", pattern: "^[^\\n]{0,200}$" },
    tags: { type: "array", items: { type: "string", pattern: "^[^\\n]{0,200}$" } },
    status: { enum: ["running", "succeeded", "failed", "interrupted", "not-found", "not-executable"] },
    createdAt: dateTime,
    mlxVersion: str,
    command: {
      type: "object",
      required: ["argv", "redactedArgs", "shell", "cwd"],
      additionalProperties: false,
      properties: {
        argv: { type: "array", minItems: 1, items: str },
        redactedArgs: { type: "array", items: nonNegInt },
        shell: { type: "boolean" },
        cwd: { anyOf: [{ const: "." }, relPath] },
        pid: nonNegInt,
      },
    },
    params: { type: "object" },
    seed: {
      type: "object",
      required: ["value", "source", "preload"],
      additionalProperties: false,
      properties: {
        value: { type: "integer", minimum: 0, maximum: 4294967295 },
        source: { enum: ["given", "drawn"] },
        preload: { type: "boolean" },
      },
    },
    env: {
      type: "object",
      required: ["vars", "refused"],
      additionalProperties: false,
      properties: {
        vars: { type: "object", additionalProperties: str },
        refused: { type: "array", items: str },
      },
    },
    system: probed(
      {
        os: str, distro: str, release: str, kernel: str, arch: str,
        cpu: {
          type: "object",
          required: ["model", "cores"],
          additionalProperties: false,
          properties: { model: str, cores: nonNegInt, physicalCores: nonNegInt },
        },
        memoryBytes: nonNegInt,
      },
      ["os", "distro", "release", "kernel", "arch", "cpu", "memoryBytes"],
    ),
    gpus: probed(
      {
        devices: {
          type: "array",
          items: {
            type: "object",
            required: ["index", "name", "memoryMiB"],
            additionalProperties: false,
            properties: { index: nonNegInt, name: str, uuid: str, memoryMiB: nonNegInt },
          },
        },
        driver: str,
        cuda: str,
      },
      ["devices"],
    ),
    runtimes: {
      type: "object",
      additionalProperties: false,
      properties: {
        node: str, npm: str, python: str, docker: str,
        missing: { type: "object", additionalProperties: str },
      },
    },
    dependencies: {
      type: "object",
      required: ["lockfiles", "nodeModules"],
      additionalProperties: false,
      properties: {
        lockfiles: {
          type: "array",
          items: {
            type: "object",
            required: ["path", "sizeBytes", "sha256", "copy"],
            additionalProperties: false,
            properties: { path: relPath, sizeBytes: nonNegInt, sha256, copy: relPath },
          },
        },
        nodeModules: probed({ count: nonNegInt, fingerprint: sha256, source: str }, ["count", "fingerprint", "source"]),
      },
    },
    git: probed(
      {
        commit: { type: ["string", "null"], pattern: "^[0-9a-f]{40,64}$" },
        branch: { type: ["string", "null"] },
        remote: { type: ["string", "null"] },
        dirty: { type: "boolean" },
        patch: {
          oneOf: [
            { type: "null" },
            {
              type: "object",
              required: ["file", "sha256", "sizeBytes"],
              additionalProperties: false,
              properties: { file: relPath, sha256, sizeBytes: nonNegInt },
            },
          ],
        },
        excluded: {
          type: "array",
          items: {
            type: "object",
            required: ["path", "reason"],
            additionalProperties: false,
            properties: { path: relPath, reason: { enum: ["too-large", "looks-secret"] }, sizeBytes: nonNegInt, sha256 },
          },
        },
      },
      ["commit", "branch", "remote", "dirty", "patch", "excluded"],
    ),
    inputs: { type: "array", items: hashedPath },
    outputs: { type: "array", items: hashedPath },
    outcome: {
      type: "object",
      required: ["exitCode", "signal", "source", "endedAt", "durationMs", "notes"],
      additionalProperties: false,
      properties: {
        exitCode: { type: "integer", minimum: 0, maximum: 255 },
        signal: { type: ["string", "null"] },
        source: { enum: ["child", "mlx"] },
        endedAt: dateTime,
        durationMs: { type: "number", minimum: 0 },
        interruptedBy: str,
        notes: { type: "array", items: str },
      },
    },
    logs: {
      type: "object",
      required: ["stdout", "stderr"],
      additionalProperties: false,
      properties: { stdout: relPath, stderr: relPath },
    },
    metrics: {
      type: "object",
      required: ["final", "series", "points", "files"],
      additionalProperties: false,
      properties: {
        final: { type: "object", additionalProperties: metricValue },
        series: relPath,
        points: nonNegInt,
        files: { type: "array", items: relPath },
      },
    },
    tolerances: {
      type: "object",
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: { rtol: { type: "number", minimum: 0 }, atol: { type: "number", minimum: 0 } },
      },
    },
    group: {
      type: "object",
      required: ["id", "trial"],
      additionalProperties: false,
      properties: { id: runId, trial: nonNegInt },
    },
    warnings: { type: "array", items: str },
  },
} as const;
