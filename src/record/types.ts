// The Run record, as written to .mlx/runs/<id>/manifest.yaml. run-schema.ts validates the same shape;
// a new field goes into the schema before it is written.

export const API_VERSION = "mlx/v1";

/** A probe either answers or says why it could not; it never aborts a run. */
export type Probed<T> = ({ available: true } & T) | { available: false; reason: string };

/** A metric value: a finite number, or one of three strings for the non-finite ones (YAML and JSON lack them). */
export type MetricValue = number | "NaN" | "Infinity" | "-Infinity";

export interface MetricPoint {
  name: string;
  value: MetricValue;
  step?: number;
  /** Milliseconds since the epoch. */
  time: number;
  source: "sdk" | "stdout" | "file";
}

export type RunStatus =
  | "running"
  | "succeeded"
  | "failed"
  | "interrupted"
  | "not-found"
  | "not-executable";

export interface HashedFile {
  /** Relative to the repository root, with forward slashes. */
  path: string;
  sizeBytes: number;
  sha256: string;
}

export interface HashedPath extends HashedFile {
  kind: "file" | "dir";
  /** For a folder: every file below it; sha256 above is the digest of this list. */
  files?: HashedFile[];
}

export interface SystemInfo {
  os: string;
  distro: string;
  release: string;
  kernel: string;
  arch: string;
  cpu: { model: string; cores: number; physicalCores?: number };
  memoryBytes: number;
}

export interface GpuDevice {
  index: number;
  name: string;
  uuid?: string;
  memoryMiB: number;
}

export interface GpuInfo {
  devices: GpuDevice[];
  driver?: string;
  cuda?: string;
}

export interface Runtimes {
  node?: string;
  npm?: string;
  python?: string;
  docker?: string;
  /** Why a runtime is missing, by name. */
  missing?: Record<string, string>;
}

export interface Lockfile extends HashedFile {
  /** The copy inside the record folder. */
  copy: string;
}

export interface Dependencies {
  lockfiles: Lockfile[];
  nodeModules: Probed<{ count: number; fingerprint: string; source: string }>;
}

export interface GitExcluded {
  path: string;
  reason: "too-large" | "looks-secret";
  sizeBytes?: number;
  sha256?: string;
}

export interface GitInfo {
  commit: string | null;
  branch: string | null;
  remote: string | null;
  dirty: boolean;
  /** The patch from `commit` (or the empty tree) to the working tree, untracked files included. */
  patch: { file: string; sha256: string; sizeBytes: number } | null;
  excluded: GitExcluded[];
}

export interface Outcome {
  exitCode: number;
  signal: string | null;
  /** Who decided the exit code: the command itself, or mlx when the command never started. */
  source: "child" | "mlx";
  endedAt: string;
  durationMs: number;
  interruptedBy?: string;
  notes: string[];
}

export interface RunManifest {
  apiVersion: typeof API_VERSION;
  kind: "Run";
  id: string;
  name?: string;
  tags: string[];
  status: RunStatus;
  createdAt: string;
  mlxVersion: string;
  command: {
    argv: string[];
    /** Positions in argv whose value was replaced by "***". */
    redactedArgs: number[];
    shell: boolean;
    /** The working directory relative to the repository root ("." at the root). */
    cwd: string;
    pid?: number;
  };
  params: Record<string, unknown>;
  seed: { value: number; source: "given" | "drawn"; preload: boolean };
  env: { vars: Record<string, string>; refused: string[] };
  system?: Probed<SystemInfo>;
  gpus?: Probed<GpuInfo>;
  runtimes?: Runtimes;
  dependencies?: Dependencies;
  git?: Probed<GitInfo>;
  inputs: HashedPath[];
  outputs: HashedPath[];
  outcome?: Outcome;
  logs: { stdout: string; stderr: string };
  metrics?: {
    final: Record<string, MetricValue>;
    series: string;
    points: number;
    files: string[];
  };
  /** Declared per-metric tolerances, for replay. */
  tolerances?: Record<string, { rtol?: number; atol?: number }>;
  /** Set on the trials of a search group. */
  group?: { id: string; trial: number };
  warnings: string[];
}

/** bundle.yaml: what a bundle holds and how replay runs it. */
export interface BundleManifest {
  apiVersion: typeof API_VERSION;
  kind: "Bundle";
  /** The source date: the run's capture time, so that two packs give the same bytes. */
  created: string;
  mlxVersion: string;
  /** Run ids; each record is under records/runs/<id>/. */
  runs: string[];
  /** A search group's id: its record is under records/groups/<id>/ and its trials are `runs`. */
  group?: string;
  image: {
    /** The image's config digest: replay runs it by this id, never by a tag. */
    id: string;
    /** image.tar (docker save), or null when packed with --no-image (replay builds from context/). */
    file: string | null;
    baseImage: string;
    /** Where node_modules is: inside the image only, or vendored in context/ as well. */
    dependencies: "image" | "context" | "none";
  };
  command: {
    argv: string[];
    /** The working folder inside the container. */
    workdir: string;
  };
  /** Declared inputs, one line per file under data/, mounted read-only at /app/<path> by replay. */
  data: HashedFile[];
  /** Symbolic links of the build context: recreated only inside a build, never extracted. */
  links: Array<{ path: string; target: string }>;
}

export interface GroupTrial {
  index: number;
  runId: string | null;
  seed: number;
  params: Record<string, unknown>;
  status: RunStatus | "pending";
  exitCode: number | null;
  /** The objective metric's final value; null when the trial did not report it. */
  metric: MetricValue | null;
}

/** .mlx/groups/<id>/group.yaml: a search and its trials. */
export interface GroupManifest {
  apiVersion: typeof API_VERSION;
  kind: "Group";
  id: string;
  name: string;
  createdAt: string;
  mlxVersion: string;
  status: "running" | "succeeded" | "failed" | "interrupted";
  spec: {
    sampler: "grid" | "random" | "tpe";
    seed: number;
    numTrials: number;
    concurrency: number;
    metric: { name: string; direction: "maximize" | "minimize" };
    paramSpace: Record<string, string>;
    params: Record<string, unknown>;
    argv: string[];
    paramsAs: "env" | "flags";
  };
  trials: GroupTrial[];
  best: { index: number; runId: string; metric: number } | null;
  warnings: string[];
}
