import { createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { describeError } from "../errors.js";
import type { MetricPoint, MetricValue } from "../record/types.js";
import { LineSplitter } from "../primitives/line-splitter.js";
import { openRegularFile, readRegularFile, UntrustedFileError } from "../primitives/read-untrusted.js";
import { metricValueOf } from "./metric-value.js";
import { parseMetricLine } from "./stdout-metrics.js";

/** The file the SDK appends to (MLX_METRICS_FILE), in the run folder or the container's /mlx. */
export const SDK_METRICS_FILE = "sdk-metrics.jsonl";
/** Every point of every metric, one JSON line each, in the record folder. */
export const SERIES_FILE = "metrics.jsonl";

export const MAX_METRIC_NAMES = 1000;
export const MAX_METRIC_NAME_CHARS = 200;
/** The largest SDK file or declared metrics file read; a bigger one is reported, never read. */
export const MAX_METRIC_FILE_BYTES = 64 * 1024 * 1024;

export interface CollectedMetrics {
  final: Record<string, MetricValue>;
  points: number;
  warnings: string[];
}

/**
 * The three ways in (SDK lines, stdout lines, metric files) become one series of
 * {name, value, step?, time, source}, streamed to a JSON-lines file; the final value of a
 * metric is its last point by time. Names are capped in count and length, with a warning.
 */
export class MetricsCollector {
  private readonly final = new Map<string, { value: MetricValue; time: number }>();
  private readonly series: WriteStream;
  private readonly warnings = new Set<string>();
  private points = 0;

  constructor(seriesPath: string) {
    this.series = createWriteStream(seriesPath, { flags: "w" });
    this.series.on("error", (error) => this.warnings.add(`metrics series not fully written: ${error.message}`));
  }

  add(point: MetricPoint): void {
    if (point.name.length > MAX_METRIC_NAME_CHARS) {
      this.warnings.add(`metric names longer than ${MAX_METRIC_NAME_CHARS} characters were skipped`);
      return;
    }
    const known = this.final.get(point.name);
    if (!known && this.final.size >= MAX_METRIC_NAMES) {
      this.warnings.add(`more than ${MAX_METRIC_NAMES} distinct metric names; later names were skipped`);
      return;
    }
    if (!known || point.time >= known.time) this.final.set(point.name, { value: point.value, time: point.time });
    this.points++;
    this.series.write(JSON.stringify(point) + "\n");
  }

  /** A sink for the command's stdout bytes that parses `name=value` lines as they arrive. */
  stdoutSink(pattern: RegExp, clock: () => number = Date.now): { push(chunk: Uint8Array): void; end(): void } {
    return new LineSplitter(
      (line) => {
        const { step, values } = parseMetricLine(line, pattern);
        const time = clock();
        for (const { name, value } of values) this.add({ name, value, ...(step === undefined ? {} : { step }), time, source: "stdout" });
      },
      { onOverlong: () => this.warnings.add("stdout lines over 1 MiB were not parsed for metrics (they are in the log)") },
    );
  }

  /**
   * Reads the SDK's JSON lines; a bad line (a kill mid-write cuts the last one) is reported by number.
   * The file may have been written by someone else (a replay's container): it is read only when it is
   * a regular file within the cap, never through a link, never waiting on a FIFO.
   */
  async readSdkFile(path: string, label: string): Promise<void> {
    let opened: Awaited<ReturnType<typeof openRegularFile>>;
    try {
      opened = await openRegularFile(path, MAX_METRIC_FILE_BYTES);
    } catch (error) {
      if (error instanceof UntrustedFileError && error.kind === "missing") return;
      this.warnings.add(`${label} ${describeError(error)}`);
      return;
    }
    const input = opened.handle.createReadStream({ encoding: "utf8", start: 0, end: Math.max(0, opened.sizeBytes - 1) });
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of lines) {
        n++;
        if (!line.trim()) continue;
        const point = parseSdkLine(line);
        if (point) this.add(point);
        else this.warnings.add(`${label} line ${n}: not a metric ({"name","value","step?","time"}); skipped`);
      }
    } finally {
      input.destroy();
      await opened.handle.close().catch(() => undefined);
    }
  }

  /**
   * Reads a declared metrics file (JSON or YAML): {name: value} (nested keys joined by ".") or
   * [{name, value, step?}]; like the SDK file, only a regular file within the cap, no link followed.
   */
  async readMetricFile(path: string, label: string, time: number): Promise<void> {
    let text: string;
    try {
      text = (await readRegularFile(path, MAX_METRIC_FILE_BYTES)).toString("utf8");
    } catch (error) {
      this.warnings.add(`metrics file ${label} ${error instanceof UntrustedFileError ? "" : "was not read: "}${describeError(error)}`);
      return;
    }
    let data: unknown;
    try {
      const { parseYamlStrict } = await import("../record/parse-yaml.js"); // YAML loads only when needed
      data = parseYamlStrict(text, label);
    } catch (error) {
      this.warnings.add(`metrics file ${label} was not read: ${describeError(error)}`);
      return;
    }
    if (Array.isArray(data)) {
      for (const item of data) {
        const point = item !== null && typeof item === "object" ? pointFrom(item as Record<string, unknown>, time, "file") : undefined;
        if (point) this.add(point);
      }
    } else if (data !== null && typeof data === "object") {
      for (const [name, value] of flatten(data as Record<string, unknown>)) this.add({ name, value, time, source: "file" });
    } else {
      this.warnings.add(`metrics file ${label} holds no metrics`);
    }
  }

  async close(): Promise<CollectedMetrics> {
    await new Promise<void>((resolve) => this.series.end(() => resolve()));
    const final: Record<string, MetricValue> = {};
    for (const [name, { value }] of [...this.final].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) final[name] = value;
    return { final, points: this.points, warnings: [...this.warnings] };
  }
}

function parseSdkLine(line: string): MetricPoint | undefined {
  try {
    const data: unknown = JSON.parse(line);
    return data !== null && typeof data === "object" ? pointFrom(data as Record<string, unknown>, Date.now(), "sdk") : undefined;
  } catch {
    return undefined;
  }
}

function pointFrom(data: Record<string, unknown>, defaultTime: number, source: MetricPoint["source"]): MetricPoint | undefined {
  const { name, step, time } = data;
  const value = metricValueOf(data["value"]);
  if (typeof name !== "string" || !name || value === undefined) return undefined;
  return {
    name,
    value,
    ...(typeof step === "number" && Number.isInteger(step) ? { step } : {}),
    time: typeof time === "number" && Number.isFinite(time) ? time : defaultTime,
    source,
  };
}

function* flatten(data: Record<string, unknown>, prefix = ""): Generator<[string, MetricValue]> {
  for (const [key, raw] of Object.entries(data)) {
    const name = prefix + key;
    const value = metricValueOf(raw);
    if (value !== undefined) yield [name, value];
    else if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) yield* flatten(raw as Record<string, unknown>, `${name}.`);
  }
}
