import { LineSplitter } from "../primitives/line-splitter.js";

/** One JSON line of the engine's progress stream (build, load, import). */
export interface StreamEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Reads every event of a progress stream: dockerode's followProgress reports success even when one
 * carries errorDetail. A line that is not JSON becomes an error event quoting it. A stream that
 * fails rejects with `onStreamError(error)`.
 */
export function followStream(
  stream: NodeJS.ReadableStream,
  onEvent: (event: StreamEvent) => void,
  onStreamError: (error: Error) => Error,
): Promise<StreamEvent[]> {
  return new Promise((resolve, reject) => {
    const events: StreamEvent[] = [];
    const take = (line: string): void => {
      if (!line.trim()) return;
      try {
        const event = JSON.parse(line) as StreamEvent;
        events.push(event);
        onEvent(event);
      } catch {
        events.push({ error: `unreadable engine message: ${line.slice(0, 200)}` });
      }
    };
    // Decoded across chunks: a build step's output may cut a UTF-8 character in two.
    const splitter = new LineSplitter(take, { maxLineChars: 16 * 1024 * 1024 });
    stream.on("data", (chunk: Buffer) => splitter.push(chunk));
    stream.on("end", () => {
      splitter.end();
      resolve(events);
    });
    stream.on("error", (error: Error) => reject(onStreamError(error)));
  });
}

/** The engine's own words for the first failure in a progress stream, or null when none failed. */
export function streamFailure(events: readonly StreamEvent[]): string | null {
  const failed = events.find((e) => e.error || e.errorDetail);
  return failed ? (failed.errorDetail?.message ?? failed.error ?? "unknown error") : null;
}
