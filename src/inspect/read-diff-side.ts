import { readFile, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { BadInputError } from "../errors.js";
import { SERIES_FILE } from "../metrics/metrics-collector.js";
import { readSeries } from "../metrics/read-series.js";
import { resolveRecord } from "../record/group-store.js";
import { runsFolder } from "../record/run-folder.js";
import { MANIFEST, readRun } from "../record/run-store.js";
import type { RunManifest } from "../record/types.js";
import { readReplay, replayFolderOf } from "../record/replay-store.js";
import type { DiffSide } from "./diff-runs.js";
import { environmentOf } from "./diff-runs.js";
import { parseLockfilePackages } from "./package-changes.js";
import { parsePatch } from "./patch-summary.js";

/**
 * One side of `mlx diff`: a replay named by its folder or its replay.yaml, a run's record folder,
 * or a run id (exact, unique prefix, or latest). A group is refused: a diff compares two runs.
 */
export async function readDiffSide(root: string, cwd: string, ref: string): Promise<DiffSide> {
  const path = resolve(cwd, ref);
  const replay = await replayFolderOf(path);
  if (replay) return readReplaySide(root, replay);
  if ((await stat(path).catch(() => null))?.isDirectory() && (await stat(join(path, MANIFEST)).catch(() => null))) return readRunSide(path);
  const found = await resolveRecord(root, ref);
  if (found.kind === "group") {
    throw new BadInputError(`${found.id} is a search group; mlx diff compares two runs`, `Give two of its trials: mlx show ${found.id}`);
  }
  return readRunSide(join(runsFolder(root), found.id));
}

async function readRunSide(folder: string): Promise<DiffSide> {
  const run = await readRun(folder);
  return {
    label: `run ${run.id}`,
    kind: "run",
    run,
    ...(await codeOf(run, folder)),
    environment: environmentOf(run),
    final: run.metrics?.final ?? {},
    series: run.metrics ? await readSeries(join(folder, run.metrics.series)) : [],
    exitCode: run.outcome?.exitCode ?? null,
  };
}

/** A replay re-ran its run's recorded command, code and packages: those come from that run's record, when this repository has it. */
async function readReplaySide(root: string, folder: string): Promise<DiffSide> {
  const report = await readReplay(folder);
  const runFolder = join(runsFolder(root), report.run);
  const run: RunManifest | null = (await stat(join(runFolder, MANIFEST)).catch(() => null)) ? await readRun(runFolder) : null;
  const environment: Record<string, string> = {};
  for (const row of report.drift) if (row.what !== "image") environment[row.what] = row.replay;
  return {
    label: `replay ${folder}`,
    kind: "replay",
    run,
    ...(run ? await codeOf(run, runFolder) : { patch: null, npmPackages: null }),
    environment,
    final: Object.fromEntries(report.metrics.flatMap((r) => (r.replay === null ? [] : [[r.name, r.replay]]))),
    series: await readSeries(join(folder, SERIES_FILE)),
    exitCode: report.container.exitCode,
  };
}

/** The run's patch by file and its npm packages, read from the copies in its record folder. */
async function codeOf(run: RunManifest, folder: string): Promise<Pick<DiffSide, "patch" | "npmPackages">> {
  const patchFile = run.git?.available ? run.git.patch?.file : undefined;
  const patch = patchFile ? parsePatch(await readFile(join(folder, patchFile), "utf8").catch(() => "")) : null;
  const lock = run.dependencies?.lockfiles.find((l) => basename(l.path) === "package-lock.json");
  let npmPackages: Map<string, string> | null = null;
  if (lock) {
    try {
      npmPackages = parseLockfilePackages(JSON.parse(await readFile(join(folder, lock.copy), "utf8")));
    } catch {
      npmPackages = null; // a copy that is gone or not JSON: no package rows rather than a failed diff
    }
  }
  return { patch, npmPackages };
}
