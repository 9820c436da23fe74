import { stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { BadInputError } from "../errors.js";
import { readSeries } from "../metrics/read-series.js";
import { groupsFolder, readGroup, resolveRecord } from "../record/group-store.js";
import { findRoot, runsFolder } from "../record/run-folder.js";
import { readRun } from "../record/run-store.js";
import { readReplay, replayFolderOf } from "../record/replay-store.js";
import { writeFileAtomic } from "../primitives/write-atomic.js";
import { renderGroupReport } from "./group-report.js";
import { readOriginalSeries } from "./read-original-series.js";
import { renderReplayReport } from "./replay-report.js";
import { renderRunReport } from "./run-report.js";

export const REPORT_FILE = "report.html";
const SERIES_FILE = "metrics.jsonl";

export interface ReportOptions {
  /** A run or group id (a unique prefix, or latest), a replay folder, or its replay.yaml. */
  readonly target: string;
  readonly cwd: string;
  /** -o; null: report.html beside a replay, or in cwd for a run or a group. */
  readonly out: string | null;
}

/** What a report was made of, and where it was written. */
export interface WrittenReport {
  readonly kind: "run" | "replay" | "group";
  readonly path: string;
}

/** Reads the record `target` names, renders its report and writes it atomically. Exit 2 when nothing is named. */
export async function writeReport(options: ReportOptions): Promise<WrittenReport> {
  const { kind, folder, html } = await renderTarget(options.target, options.cwd);
  const path = resolve(options.cwd, options.out ?? (kind === "replay" ? join(folder, REPORT_FILE) : REPORT_FILE));
  const parent = await stat(dirname(path)).catch(() => undefined);
  if (!parent?.isDirectory())
    throw new BadInputError(`cannot write ${path}: ${dirname(path)} is not a folder`, "Give -o a path in an existing folder.");
  await writeFileAtomic(path, html);
  return { kind, path };
}

async function renderTarget(target: string, cwd: string): Promise<{ kind: WrittenReport["kind"]; folder: string; html: string }> {
  const replay = await replayFolderOf(resolve(cwd, target));
  if (replay) {
    const report = await readReplay(replay);
    const original = await readOriginalSeries(replay, report);
    const replayed = await readSeries(join(replay, SERIES_FILE));
    return {
      kind: "replay",
      folder: replay,
      html: await renderReplayReport(report, { original: original.points, replay: replayed, originalNote: original.note }),
    };
  }
  const { root } = await findRoot(cwd);
  const ref = await resolveRecord(root, target).catch((error: unknown) => {
    if (error instanceof BadInputError && target.includes("/"))
      throw new BadInputError(
        `${target}: no replay folder, replay.yaml, run or group by that name`,
        "Give a replay folder, a run id or a group id (mlx ls).",
      );
    throw error;
  });
  if (ref.kind === "group") {
    const folder = join(groupsFolder(root), ref.id);
    return { kind: "group", folder, html: await renderGroupReport(await readGroup(folder)) };
  }
  const folder = join(runsFolder(root), ref.id);
  const manifest = await readRun(folder);
  const points = manifest.metrics ? await readSeries(join(folder, manifest.metrics.series)) : [];
  return { kind: "run", folder, html: await renderRunReport(manifest, points) };
}
