import { copyFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { runRecordMember } from "../bundle/layout.js";
import type { OpenBundle } from "../bundle/read-bundle.js";
import { SERIES_FILE } from "../metrics/metrics-collector.js";
import { ORIGINAL_SERIES_FILE } from "../record/replay-schema.js";
import type { RunManifest } from "../record/types.js";

/** The bundle member holding a run's recorded series. */
export function originalSeriesMember(run: RunManifest): string {
  return posix.join(runRecordMember(run.id), run.metrics?.series ?? SERIES_FILE);
}

/**
 * Copies the run's recorded series from the opened bundle into `out` as original-metrics.jsonl, so a
 * report of the replay folder draws it after the extracted bundle is gone. Only a member SHA256SUMS
 * lists (openBundle verified every one of them); false when the bundle has none.
 */
export async function copyOriginalSeries(opened: OpenBundle, run: RunManifest, out: string): Promise<boolean> {
  const member = originalSeriesMember(run);
  if (!opened.sums.has(member)) return false;
  await copyFile(join(opened.folder, member), join(out, ORIGINAL_SERIES_FILE));
  return true;
}
