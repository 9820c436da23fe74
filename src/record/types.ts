// The record types, derived from their JSON Schemas (run-schema.ts, bundle-schema.ts, group-schema.ts,
// replay-schema.ts): a shape is written once, as a schema, and a new field goes into the schema first.
// Only types leave this file, apart from API_VERSION.
import type { Static } from "@sinclair/typebox/type";
import type { bundleSchema } from "./bundle-schema.js";
import type { groupSchema, groupTrialSchema } from "./group-schema.js";
import type {
  driftRowSchema,
  groupSummarySchema,
  metricRowSchema,
  outputRowSchema,
  replaySchema,
  seriesDivergenceSchema,
  trialSummarySchema,
} from "./replay-schema.js";
import type {
  dependenciesSchema,
  gitExcludedSchema,
  gitInfoSchema,
  gpuDeviceSchema,
  gpuInfoSchema,
  hashedFileSchema,
  hashedPathSchema,
  lockfileSchema,
  metricPointSchema,
  outcomeSchema,
  pythonDistributionSchema,
  pythonInfoSchema,
  runSchema,
  runtimesSchema,
  systemInfoSchema,
} from "./run-schema.js";
import type { RUN_STATUSES, metricValue } from "./schema-parts.js";

export { API_VERSION } from "./schema-parts.js";

/** A probe either answers or says why it could not; it never aborts a run. (The shape of run-schema.ts's probed().) */
export type Probed<T> = ({ available: true } & T) | { available: false; reason: string };

/** A metric value: a finite number, or one of three strings for the non-finite ones (YAML and JSON lack them). */
export type MetricValue = Static<typeof metricValue>;
/** One line of metrics.jsonl. */
export type MetricPoint = Static<typeof metricPointSchema>;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type HashedFile = Static<typeof hashedFileSchema>;
export type HashedPath = Static<typeof hashedPathSchema>;
export type SystemInfo = Static<typeof systemInfoSchema>;
export type GpuDevice = Static<typeof gpuDeviceSchema>;
export type GpuInfo = Static<typeof gpuInfoSchema>;
export type Runtimes = Static<typeof runtimesSchema>;
export type Lockfile = Static<typeof lockfileSchema>;
export type Dependencies = Static<typeof dependenciesSchema>;
export type GitExcluded = Static<typeof gitExcludedSchema>;
export type GitInfo = Static<typeof gitInfoSchema>;
export type Outcome = Static<typeof outcomeSchema>;
export type PythonDistribution = Static<typeof pythonDistributionSchema>;
export type PythonInfo = Static<typeof pythonInfoSchema>;
/** .mlx/runs/<id>/manifest.yaml. */
export type RunManifest = Static<typeof runSchema>;

/** bundle.yaml: what a bundle holds and how replay runs it. */
export type BundleManifest = Static<typeof bundleSchema>;

export type GroupTrial = Static<typeof groupTrialSchema>;
/** .mlx/groups/<id>/group.yaml: a search and its trials. */
export type GroupManifest = Static<typeof groupSchema>;

/** replay.yaml: a replay of one run (or of a group's trials) against the original. */
export type ReplayReport = Static<typeof replaySchema>;
export type MetricRow = Static<typeof metricRowSchema>;
export type SeriesDivergence = Static<typeof seriesDivergenceSchema>;
export type OutputRow = Static<typeof outputRowSchema>;
export type DriftRow = Static<typeof driftRowSchema>;
export type ReplayVerdict = ReplayReport["verdict"];
export type TrialSummary = Static<typeof trialSummarySchema>;
export type GroupSummary = Static<typeof groupSummarySchema>;
