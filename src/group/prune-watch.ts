// Watches running trials' series as they grow and stops those the pruner rules out. The run id of a
// trial is chosen before it starts, so its series files are known: the collector's (stdout metrics,
// written as lines arrive) and the SDK's (appended by the command itself).
import { join } from "node:path";
import { SDK_METRICS_FILE, SERIES_FILE } from "../metrics/metrics-collector.js";
import { readSeries } from "../metrics/read-series.js";
import { decidePrune, type Pruner, type StepValues, stepValuesOf, valuesUpTo } from "./median-pruner.js";

export interface PrunedAt {
  readonly step: number;
  readonly value: number;
}

interface Watched {
  readonly folder: string;
  readonly stop: () => void;
  lastStep: number;
  pruned?: PrunedAt;
}

export interface PruneWatch {
  /** Starts watching a trial whose record folder is `folder`; `stop` ends it as pruned. */
  watch(index: number, folder: string, stop: () => void): void;
  /** Stops watching; says where it was pruned, if it was. */
  unwatch(index: number): PrunedAt | undefined;
  /** A trial completed: its values count toward the medians from now on. */
  completed(folder: string): Promise<void>;
  close(): void;
}

/** Series of a run folder as intermediate values of `metric`, by step. */
export async function readStepValues(folder: string, metric: string): Promise<Map<number, number>> {
  const [collected, sdk] = await Promise.all([readSeries(join(folder, SERIES_FILE)), readSeries(join(folder, SDK_METRICS_FILE))]);
  return stepValuesOf([...collected, ...sdk], metric);
}

/**
 * Checks every watched trial each `intervalMs`, at each step it reported since the last check, in
 * order, as Optuna checks at each report. No-op for `pruner: none`.
 */
export function startPruneWatch(pruner: Pruner, metric: string, direction: "maximize" | "minimize", intervalMs: number): PruneWatch {
  const watched = new Map<number, Watched>();
  const done: StepValues[] = [];
  let busy = false;
  const check = async (): Promise<void> => {
    if (pruner.type !== "median" || busy) return;
    busy = true;
    try {
      for (const trial of watched.values()) {
        if (trial.pruned) continue;
        const values = await readStepValues(trial.folder, metric);
        const fresh = [...values.keys()].filter((s) => s > trial.lastStep).sort((a, b) => a - b);
        for (const step of fresh) {
          trial.lastStep = step;
          const decision = decidePrune(pruner, direction, valuesUpTo(values, step), done);
          if (decision?.prune) {
            trial.pruned = { step: decision.step, value: decision.value };
            trial.stop();
            break;
          }
        }
      }
    } finally {
      busy = false;
    }
  };
  const timer = pruner.type === "median" ? setInterval(() => void check(), intervalMs) : undefined;
  timer?.unref();
  return {
    watch: (index, folder, stop) => void watched.set(index, { folder, stop, lastStep: -1 }),
    unwatch(index) {
      const trial = watched.get(index);
      watched.delete(index);
      return trial?.pruned;
    },
    async completed(folder) {
      if (pruner.type === "median") done.push(await readStepValues(folder, metric));
    },
    close: () => clearInterval(timer),
  };
}
