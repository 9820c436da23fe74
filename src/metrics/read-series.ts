import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { MetricPoint } from "../record/types.js";

/**
 * The metric points of a series file (one JSON object a line), as written by the metrics collector.
 * A missing or unreadable file gives the points read so far, and a cut or unparsable line is
 * skipped: the final values are compared apart, so a damaged series never aborts a comparison.
 */
export async function readSeries(path: string): Promise<MetricPoint[]> {
  const points: MetricPoint[] = [];
  try {
    for await (const line of createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        points.push(JSON.parse(line) as MetricPoint);
      } catch {
        // a cut line: the final values still count
      }
    }
  } catch {
    return points;
  }
  return points;
}
