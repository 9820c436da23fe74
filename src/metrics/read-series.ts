import { createInterface } from "node:readline";
import { openRegularFile } from "../primitives/read-untrusted.js";
import type { MetricPoint } from "../record/types.js";

/** The largest series file read: beyond it the series is not compared (the final values still are). */
export const MAX_SERIES_BYTES = 256 * 1024 * 1024;

/**
 * The metric points of a series file (one JSON object a line), as written by the metrics collector.
 * A missing, unreadable or unsafe file (a link, a FIFO, over the cap: it may come from a bundle) gives
 * the points read so far, and a cut or unparsable line is skipped: the final values are compared
 * apart, so a damaged series never aborts a comparison.
 */
export async function readSeries(path: string): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    opened = await openRegularFile(path, MAX_SERIES_BYTES);
  } catch {
    return points;
  }
  const input = opened.handle.createReadStream({ encoding: "utf8", autoClose: false });
  try {
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        points.push(JSON.parse(line) as MetricPoint);
      } catch {
        // a cut line: the final values still count
      }
    }
  } catch {
    return points;
  } finally {
    input.destroy();
    await opened.handle.close().catch(() => undefined);
  }
  return points;
}
