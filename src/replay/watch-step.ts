// Replay of a pruned trial: the container is stopped once it has reported the step the original was
// pruned at. Its points arrive in two files that grow while it runs: the collector's series (stdout
// metrics, written as lines arrive) and the SDK's file in the replay's mlx folder (appended by the
// command). Each is read on from where the last look stopped, so a long series costs one pass.
import { LineSplitter } from "../primitives/line-splitter.js";
import { openRegularFile } from "../primitives/read-untrusted.js";
import { MAX_SERIES_BYTES } from "../metrics/read-series.js";
import type { RunManifest } from "../record/types.js";

/** How often a pruned trial's replay looks for its step, as often as the search looked when it pruned it. */
export const PRUNE_CHECK_MS = 200;

export interface StepWatch {
  /** Resolves once `metric` has a point at `step` or later in one of the files. */
  readonly reached: Promise<void>;
  /** Stops looking; `reached` then never resolves. */
  close(): void;
}

interface Tail {
  readonly path: string;
  offset: number;
  readonly lines: LineSplitter;
}

/** Looks at `paths` every `intervalMs` for a point of `metric` at `step` or later. */
export function watchStep(paths: readonly string[], metric: string, step: number, intervalMs: number): StepWatch {
  let found = false;
  let resolve: () => void = () => undefined;
  const reached = new Promise<void>((r) => (resolve = r));
  const onLine = (line: string): void => {
    if (!found && isAtStep(line, metric, step)) {
      found = true;
      resolve();
    }
  };
  const tails: Tail[] = paths.map((path) => ({ path, offset: 0, lines: new LineSplitter(onLine) }));
  let busy = false;
  const look = async (): Promise<void> => {
    if (busy || found) return;
    busy = true;
    try {
      for (const tail of tails) await readOn(tail).catch(() => undefined); // a failed read: looked at again next time
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void look(), intervalMs);
  timer.unref();
  return { reached, close: () => clearInterval(timer) };
}

/**
 * For a pruned trial: the reviewer's interrupt, or the pruned metric reaching the pruned step, whichever
 * comes first, so the container is stopped there the way a Ctrl-C stops it. Other runs: the interrupt alone.
 */
export function stopAtPrunedStep(
  run: RunManifest,
  series: readonly string[],
  interrupted: Promise<NodeJS.Signals>,
): { interrupted: Promise<NodeJS.Signals>; stoppedAtStep: () => boolean; close: () => void } {
  if (!run.pruned) return { interrupted, stoppedAtStep: () => false, close: () => undefined };
  const watch = watchStep(series, run.pruned.metric, run.pruned.step, PRUNE_CHECK_MS);
  let first: "reviewer" | "step" | null = null;
  const either = Promise.race([
    interrupted.then((signal) => ((first ??= "reviewer"), signal)),
    watch.reached.then(() => ((first ??= "step"), "SIGTERM" as const)),
  ]);
  return { interrupted: either, stoppedAtStep: () => first === "step", close: () => watch.close() };
}

/** Feeds what `tail.path` gained since the last look to its line splitter; a file not there yet is skipped. */
async function readOn(tail: Tail): Promise<void> {
  let opened: Awaited<ReturnType<typeof openRegularFile>>;
  try {
    // The SDK file is the container's: never through a link, never waiting on a FIFO, never past the cap.
    opened = await openRegularFile(tail.path, MAX_SERIES_BYTES);
  } catch {
    return; // not written yet, or not a file to read: the run then ends by itself or at --timeout
  }
  try {
    const buffer = Buffer.alloc(64 * 1024);
    while (tail.offset < opened.sizeBytes) {
      const { bytesRead } = await opened.handle.read(buffer, 0, buffer.length, tail.offset);
      if (bytesRead === 0) break;
      tail.offset += bytesRead;
      tail.lines.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await opened.handle.close();
  }
}

/** Whether a series line is a point of `metric` at `step` or later; a cut or foreign line is not. */
export function isAtStep(line: string, metric: string, step: number): boolean {
  try {
    const p: unknown = JSON.parse(line);
    if (typeof p !== "object" || p === null) return false;
    const { name, step: at } = p as { name?: unknown; step?: unknown };
    return name === metric && typeof at === "number" && Number.isInteger(at) && at >= step;
  } catch {
    return false;
  }
}
