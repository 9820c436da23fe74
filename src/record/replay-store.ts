// A replay's folder: replay.yaml (the verdict and its rows) beside the replayed run's files. Replay writes
// it; diff and report read it back, by the folder or by the replay.yaml itself.
import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { BadInputError, describeError } from "../errors.js";
import { readRegularFile } from "../primitives/read-untrusted.js";
import { MAX_YAML_BYTES, parseYamlStrict } from "./parse-yaml.js";
import type { ReplayReport } from "./types.js";
import { validateReplay } from "./validate.js";

export const REPLAY_RECORD = "replay.yaml";

/** The replay folder `path` names (the folder, or its replay.yaml), or null when it names none. */
export async function replayFolderOf(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isFile() && basename(path) === REPLAY_RECORD) return dirname(path);
  if (info?.isDirectory() && (await stat(join(path, REPLAY_RECORD)).catch(() => undefined))?.isFile()) return path;
  return null;
}

/** Reads and validates a replay folder's replay.yaml (a regular file, size-capped: it may come from elsewhere). */
export async function readReplay(folder: string): Promise<ReplayReport> {
  const where = join(folder, REPLAY_RECORD);
  const text = await readRegularFile(where, MAX_YAML_BYTES).catch((error: unknown) => {
    throw new BadInputError(`cannot read ${where}: ${describeError(error)}`, "Give a folder written by mlx replay, or its replay.yaml.", {
      cause: error,
    });
  });
  return validateReplay(parseYamlStrict(text.toString("utf8"), where), where);
}
