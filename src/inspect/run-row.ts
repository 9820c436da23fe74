import type { MetricValue } from "../record/types.js";
import type { RunRow } from "../record/run-row.js";

// The row lives in the record layer, where the run index keeps it; inspect re-exports it for its users.
export { flattenParams, invalidRow, runRowOf, type RunRow } from "../record/run-row.js";

/** The metrics a table shows: a trial's objective first (a search's own metric is never cut off), then the rest, `max` in all. */
export function shownMetrics(row: RunRow, max: number): Array<[string, MetricValue]> {
  const entries = Object.entries(row.metrics);
  const objective = row.group?.objective;
  const first = objective !== undefined && objective !== null ? entries.filter(([k]) => k === objective) : [];
  return [...first, ...entries.filter(([k]) => k !== objective)].slice(0, Math.max(max, first.length));
}
