// JSON Schema of a Replay record (kind: Replay), written by `mlx replay` to its --out folder as replay.yaml.
// types.ts derives ReplayReport and its row types from it.
import * as Type from "@sinclair/typebox/type";
import { API_VERSION, DRAFT_07, closed, metricValue, metricValueOrNull, ofTypes, runId, stringEnum } from "./schema-parts.js";

/** The original run's series, copied from the verified bundle into the replay folder: a report reads it without the bundle. */
export const ORIGINAL_SERIES_FILE = "original-metrics.jsonl";

const str = Type.String();
const verdict = stringEnum(["reproduced", "diverged"]);

/** One metric, original against replay. */
export const metricRowSchema = closed({
  name: str,
  original: metricValueOrNull,
  replay: metricValueOrNull,
  absDiff: ofTypes(["number", "null"]),
  relDiff: ofTypes(["number", "null"]),
  verdict: stringEnum(["same", "within", "diverged", "missing", "extra"]),
  reason: Type.Optional(str),
});

/** A series' first step whose values do not agree. */
export const seriesDivergenceSchema = closed({
  name: str,
  step: Type.Integer(),
  original: metricValue,
  replay: metricValue,
  lengths: Type.Optional(
    Type.Tuple([Type.Integer(), Type.Integer()], { description: "Steps each run reported, when they differ in number." }),
  ),
});

/** A declared output, original digest against replay's. */
export const outputRowSchema = closed({
  path: str,
  original: str,
  replay: ofTypes(["string", "null"]),
  verdict: stringEnum(["same", "different", "missing", "unsafe"]),
  reason: Type.Optional(str),
});

/** One fact of the two hosts side by side. */
export const driftRowSchema = closed({ what: str, original: str, replay: str, same: Type.Boolean() });

/** One trial of a group bundle: its objective in the original and in the replay. */
export const trialSummarySchema = closed({
  index: Type.Integer({ minimum: 0 }),
  run: runId,
  verdict,
  original: ofTypes(["number", "null"]),
  replay: ofTypes(["number", "null"]),
});

/** For a group bundle: each replayed trial's objective, and whether the best trial is still the best. */
export const groupSummarySchema = closed({
  id: str,
  metric: str,
  trials: Type.Array(trialSummarySchema),
  best: closed({ original: ofTypes(["integer", "null"]), replay: ofTypes(["integer", "null"]), stillBest: ofTypes(["boolean", "null"]) }),
  spearman: ofTypes(["number", "null"]),
});

export const replaySchema = closed(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("Replay"),
    createdAt: str,
    mlxVersion: str,
    bundle: closed({ path: str, imageId: str }),
    signature: Type.Optional(
      closed(
        {
          principal: ofTypes(["string", "null"], { description: "Who signed, as the reviewer's allowed-signers file names them." }),
          key: ofTypes(["string", "null"], { description: "The signing key's fingerprint." }),
          verified: Type.Boolean({ description: "Checked with --trust; false when the bundle is signed but nothing was checked." }),
        },
        { description: "SHA256SUMS.sig, when the bundle is signed (mlx pack --sign)." },
      ),
    ),
    run: runId,
    verdict,
    container: closed({
      exitCode: Type.Integer(),
      originalExitCode: Type.Integer(),
      oomKilled: Type.Boolean(),
      durationMs: Type.Number(),
      interruptedBy: Type.Optional(str),
      containerId: Type.Optional(str),
      timeoutMs: Type.Optional(Type.Number({ minimum: 0, description: "The --timeout the container ran under." })),
      timedOut: Type.Optional(Type.Boolean({ description: "True when the container was stopped at --timeout." })),
      prunedAt: Type.Optional(
        Type.Integer({
          minimum: 0,
          description: "For a trial the search pruned: the step its replay was stopped at, as the original was, and compared up to.",
        }),
      ),
    }),
    metrics: Type.Array(metricRowSchema),
    series: Type.Array(seriesDivergenceSchema),
    outputs: Type.Array(outputRowSchema),
    drift: Type.Array(driftRowSchema),
    warnings: Type.Array(str),
    reasons: Type.Optional(
      Type.Array(str, { description: "Why the verdict is diverged: every metric, series, output, exit code or stop that failed it." }),
    ),
    group: Type.Optional(groupSummarySchema),
  },
  { $schema: DRAFT_07, $id: "https://mlx.dev/schema/replay.schema.json", title: "mlx Replay record" },
);
