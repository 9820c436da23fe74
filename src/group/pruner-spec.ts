// `pruner:` in a group spec: `none`, `median`, or a mapping with Optuna's MedianPruner settings.
import * as Type from "@sinclair/typebox/type";
import { closed, stringEnum } from "../record/schema-parts.js";
import { MEDIAN_DEFAULTS, type Pruner } from "./median-pruner.js";

export type { Pruner } from "./median-pruner.js";

const count = Type.Integer({ minimum: 0, maximum: 1_000_000_000 });

export const prunerSchema = Type.Union([
  stringEnum(["none", "median"]),
  closed({
    type: stringEnum(["none", "median"]),
    n_startup_trials: Type.Optional(count),
    n_warmup_steps: Type.Optional(count),
    interval_steps: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000_000 })),
    n_min_trials: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
  }),
]);

type RawPruner = Type.Static<typeof prunerSchema> | undefined;

/** The spec's pruner, complete; absent means none. Validated by the spec's schema first. */
export function normalizePruner(raw: unknown): Pruner {
  const given = raw as RawPruner;
  if (given === undefined || given === "none") return { type: "none" };
  if (given === "median") return MEDIAN_DEFAULTS;
  if (given.type === "none") return { type: "none" };
  return {
    type: "median",
    nStartupTrials: given.n_startup_trials ?? MEDIAN_DEFAULTS.nStartupTrials,
    nWarmupSteps: given.n_warmup_steps ?? MEDIAN_DEFAULTS.nWarmupSteps,
    intervalSteps: given.interval_steps ?? MEDIAN_DEFAULTS.intervalSteps,
    nMinTrials: given.n_min_trials ?? MEDIAN_DEFAULTS.nMinTrials,
  };
}

/** How the record names it: "none", or "median(startup 5, warmup 0, interval 1, min 1)". */
export function renderPruner(pruner: Pruner): string {
  if (pruner.type === "none") return "none";
  const { nStartupTrials, nWarmupSteps, intervalSteps, nMinTrials } = pruner;
  return `median(startup ${nStartupTrials}, warmup ${nWarmupSteps}, interval ${intervalSteps}, min ${nMinTrials})`;
}
