// JSON Schema of the Run record (kind: Run), .mlx/runs/<id>/manifest.yaml. Every read and every write goes
// through it, and types.ts derives the TypeScript types from it: a new field goes in here first.
// Written out to schema/run.schema.json at build time so it ships with the package.
import * as Type from "@sinclair/typebox/type";
import {
  API_VERSION,
  DRAFT_07,
  RUN_STATUSES,
  anyObject,
  closed,
  dateTime,
  dict,
  metricValue,
  nonNegInt,
  ofTypes,
  runId,
  seedValue,
  sha256,
  stringEnum,
  toleranceMap,
} from "./schema-parts.js";

const str = Type.String();
const opt = Type.Optional;

/** A path recorded relative to the repository root: no absolute paths, no "..". */
function relPath(options: Type.StringOptions = {}): Type.TString {
  return Type.String({ ...options, pattern: "^(?!/)(?!.*(^|/)\\.\\.(/|$)).+$" });
}

const unavailable = closed({ available: Type.Literal(false), reason: str });

/** A probe either answers or says why it could not; it never aborts a run. */
function probed<T extends Type.TProperties>(answer: Type.TObject<T>) {
  return Type.Union([closed({ available: Type.Literal(true), ...answer.properties }), unavailable]);
}

export const hashedFileSchema = closed({
  path: relPath({ description: "Relative to the repository root, with forward slashes." }),
  sizeBytes: nonNegInt,
  sha256,
});

export const hashedPathSchema = closed({
  path: relPath({ description: "Relative to the repository root, with forward slashes." }),
  kind: stringEnum(["file", "dir"]),
  sizeBytes: nonNegInt,
  sha256,
  files: opt(Type.Array(hashedFileSchema, { description: "For a folder: every file below it; sha256 above is the digest of this list." })),
});

export const systemInfoSchema = closed({
  os: str,
  distro: str,
  release: str,
  kernel: str,
  arch: str,
  cpu: closed({ model: str, cores: nonNegInt, physicalCores: opt(nonNegInt) }),
  memoryBytes: nonNegInt,
});

export const gpuDeviceSchema = closed({ index: nonNegInt, name: str, uuid: opt(str), memoryMiB: nonNegInt });

export const gpuInfoSchema = closed({ devices: Type.Array(gpuDeviceSchema), driver: opt(str), cuda: opt(str) });

export const runtimesSchema = closed({
  node: opt(str),
  npm: opt(str),
  python: opt(str),
  docker: opt(str),
  missing: opt(dict(str, { description: "Why a runtime is missing, by name." })),
});

export const lockfileSchema = closed({
  path: relPath({ description: "Relative to the repository root, with forward slashes." }),
  sizeBytes: nonNegInt,
  sha256,
  copy: relPath({ description: "The copy inside the record folder." }),
});

export const dependenciesSchema = closed({
  lockfiles: Type.Array(lockfileSchema),
  nodeModules: probed(closed({ count: nonNegInt, fingerprint: sha256, source: str })),
});

export const gitExcludedSchema = closed({
  path: relPath(),
  reason: stringEnum(["too-large", "looks-secret"]),
  sizeBytes: opt(nonNegInt),
  sha256: opt(sha256),
});

export const gitInfoSchema = closed({
  commit: ofTypes(["string", "null"], { pattern: "^[0-9a-f]{40,64}$" }),
  branch: ofTypes(["string", "null"]),
  remote: ofTypes(["string", "null"]),
  dirty: Type.Boolean(),
  patch: Type.Union([Type.Null(), closed({ file: relPath(), sha256, sizeBytes: nonNegInt })], {
    description: "The patch from `commit` (or the empty tree) to the working tree, untracked files included.",
  }),
  excluded: Type.Array(gitExcludedSchema),
});

export const outcomeSchema = closed({
  exitCode: Type.Integer({ minimum: 0, maximum: 255 }),
  signal: ofTypes(["string", "null"]),
  source: stringEnum(["child", "mlx"], {
    description: "Who decided the exit code: the command itself, or mlx when the command never started.",
  }),
  endedAt: dateTime,
  durationMs: Type.Number({ minimum: 0 }),
  interruptedBy: opt(str),
  notes: Type.Array(str),
});

/** One installed Python distribution (a pip-freeze line, with where it lives and what owns it). */
export const pythonDistributionSchema = closed({
  name: Type.String({ description: "The distribution's name as its metadata gives it." }),
  version: str,
  location: Type.String({ description: "The site folder it is installed in (a host path)." }),
  fingerprint: Type.String({
    pattern: "^[0-9a-f]{64}$",
    description:
      "Digest of the distribution's installed files (path, size, modification time) and its RECORD: changes when a file is edited.",
  }),
  files: nonNegInt,
  debian: opt(closed({ package: str, version: str }, { description: "The Debian/Ubuntu package that owns it, for a system Python." })),
});

/** The Python interpreter a Python command runs under, and what is installed for it. */
export const pythonInfoSchema = closed({
  executable: Type.String({ description: "The interpreter's path on the capturing host." }),
  version: Type.String({ description: "e.g. 3.11.2" }),
  implementation: Type.String({ description: "e.g. CPython" }),
  environment: stringEnum(["venv", "system", "other"], {
    description: "venv: a virtual environment (prefix differs from base prefix); system: a distribution's Python; other: e.g. pyenv.",
  }),
  prefix: str,
  basePrefix: str,
  siteFolders: Type.Array(str),
  distributions: Type.Array(pythonDistributionSchema),
  imported: opt(
    Type.Array(str, {
      description:
        "The distributions the run imported (names as in distributions), noted at interpreter exit; absent when the run did not exit " +
        "normally (killed) or was captured before mlx recorded them: then every distribution counts as used.",
    }),
  ),
  interpreterPackage: opt(closed({ package: str, version: str }, { description: "The Debian package of the interpreter itself." })),
  torch: opt(
    closed({
      version: str,
      cuda: ofTypes(["string", "null"]),
      cudnn: ofTypes(["string", "null"]),
      gitVersion: opt(str),
    }),
  ),
});

/** One line of metrics.jsonl. */
export const metricPointSchema = closed({
  name: str,
  value: metricValue,
  step: opt(Type.Integer()),
  time: Type.Number({ description: "Milliseconds since the epoch." }),
  source: stringEnum(["sdk", "stdout", "file"]),
});

export const runSchema = closed(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("Run"),
    id: runId,
    name: opt(Type.String({ pattern: "^[^\\n]{0,200}$" })),
    tags: Type.Array(Type.String({ pattern: "^[^\\n]{0,200}$" })),
    status: stringEnum(RUN_STATUSES),
    createdAt: dateTime,
    mlxVersion: str,
    command: closed({
      argv: Type.Array(str, { minItems: 1 }),
      redactedArgs: Type.Array(nonNegInt, { description: 'Positions in argv whose value was replaced by "***".' }),
      shell: Type.Boolean(),
      cwd: Type.Union([Type.Literal("."), relPath()], {
        description: 'The working directory relative to the repository root ("." at the root).',
      }),
      pid: opt(nonNegInt),
    }),
    params: anyObject(),
    seed: closed({
      value: seedValue,
      source: stringEnum(["given", "drawn"]),
      preload: Type.Boolean({ description: "A seeding preload applied to the command." }),
      preloads: opt(
        Type.Array(closed({ runtime: stringEnum(["node", "python"]), applied: Type.Boolean() }), {
          description: "Which runtime's preload applied: node's seeds Math.random, python's random, numpy and torch.",
        }),
      ),
    }),
    env: closed({ vars: dict(str), refused: Type.Array(str) }),
    system: opt(probed(systemInfoSchema)),
    gpus: opt(probed(gpuInfoSchema)),
    runtimes: opt(runtimesSchema),
    dependencies: opt(dependenciesSchema),
    python: opt(probed(pythonInfoSchema)),
    git: opt(probed(gitInfoSchema)),
    inputs: Type.Array(hashedPathSchema),
    outputs: Type.Array(hashedPathSchema),
    outcome: opt(outcomeSchema),
    logs: closed({ stdout: relPath(), stderr: relPath() }),
    metrics: opt(closed({ final: dict(metricValue), series: relPath(), points: nonNegInt, files: Type.Array(relPath()) })),
    tolerances: opt(toleranceMap({ description: "Declared per-metric tolerances, for replay." })),
    group: opt(closed({ id: runId, trial: nonNegInt }, { description: "Set on the trials of a search group." })),
    pruned: opt(
      closed(
        { metric: str, step: nonNegInt, value: metricValue },
        { description: "Set when a search's pruner stopped this trial: the step it decided at and the best value up to it." },
      ),
    ),
    warnings: Type.Array(str),
  },
  { $schema: DRAFT_07, $id: "https://mlx.dev/schema/run.schema.json", title: "mlx Run record" },
);
