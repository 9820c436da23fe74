import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { runRecordMember, SUMS } from "../bundle/layout.js";
import { checkPlainTar } from "../bundle/read-bundle.js";
import { MAX_SERIES_BYTES, readSeries } from "../metrics/read-series.js";
import { describeError } from "../errors.js";
import { ORIGINAL_SERIES_FILE } from "../record/replay-schema.js";
import type { MetricPoint, ReplayReport } from "../record/types.js";

const SERIES_FILE = "metrics.jsonl";

/**
 * The original run's metric series for a replay report: the copy replay made of it in its folder
 * (original-metrics.jsonl, from the verified bundle). A replay from before that copy existed removed
 * the bundle's extracted records when it ended, so they are read from the folder `--keep` left, or
 * else from the bundle itself (one streaming pass, the member checked against SHA256SUMS: the bundle
 * may have changed since the replay). Null, with the reason, when none is there.
 */
export async function readOriginalSeries(
  replayFolder: string,
  r: ReplayReport,
): Promise<{ points: MetricPoint[] | null; note: string | null }> {
  const copied = join(replayFolder, ORIGINAL_SERIES_FILE);
  if (await isFile(copied)) return { points: await readSeries(copied), note: null };
  const member = `${runRecordMember(r.run)}/${SERIES_FILE}`;
  for (const entry of await readdir(replayFolder).catch(() => [])) {
    if (!entry.startsWith("bundle-")) continue;
    const points = await readSeries(join(replayFolder, entry, member));
    if (points.length > 0) return { points, note: null };
  }
  try {
    await checkPlainTar(r.bundle.path);
    const text = await readBundleMember(r.bundle.path, member);
    if (text === null) return { points: null, note: `The original series is not in ${r.bundle.path}: only the replay's is drawn.` };
    return { points: parseSeriesLines(text), note: null };
  } catch (error) {
    return {
      points: null,
      note: `The original series could not be read from ${r.bundle.path} (${describeError(error)}): only the replay's is drawn.`,
    };
  }
}

/** A regular file, not reached through a link at its last component. */
async function isFile(path: string): Promise<boolean> {
  return lstat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/** Points of a series file's text; a line that is not a point is skipped, as readSeries does. */
export function parseSeriesLines(text: string): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const p: unknown = JSON.parse(line);
      if (typeof p === "object" && p !== null && typeof (p as { name?: unknown }).name === "string") points.push(p as MetricPoint);
    } catch {
      // a cut line
    }
  }
  return points;
}

/** One member's text, if the bundle has it and its sha256 matches SHA256SUMS; null when it is absent. */
async function readBundleMember(bundle: string, member: string): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let sums = "";
  let found = false;
  const hash = createHash("sha256");
  const parser = new Parser({ strict: true });
  parser.on("entry", (entry: ReadEntry) => {
    if (entry.path === member && entry.type === "File" && (entry.size ?? 0) <= MAX_SERIES_BYTES) {
      found = true;
      entry.on("data", (chunk: Buffer) => {
        hash.update(chunk);
        chunks.push(chunk);
        size += chunk.length;
      });
    } else if (entry.path === SUMS && (entry.size ?? 0) <= 64 * 1024 * 1024) {
      entry.on("data", (chunk: Buffer) => (sums += chunk.toString("utf8")));
    } else entry.resume();
  });
  await pipeline(createReadStream(bundle, { highWaterMark: 1 << 20 }), parser);
  if (!found) return null;
  const digest = hash.digest("hex");
  if (!sums.split("\n").some((line) => line === `${digest}  ${member}`))
    throw new Error(`${member} does not match the bundle's SHA256SUMS`);
  return Buffer.concat(chunks, size).toString("utf8");
}
