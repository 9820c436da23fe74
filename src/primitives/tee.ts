import { Writable } from "node:stream";

export interface TeeSink {
  stream: NodeJS.WritableStream;
  /** End this sink when the tee ends (a log file); false for one the caller keeps (a terminal). */
  end: boolean;
  /** Told once when the sink fails (EPIPE, ENOSPC): the tee then drops it and goes on. */
  onError?: (error: Error) => void;
}

interface SinkState extends TeeSink {
  broken: boolean;
  /** Writers waiting for this sink to drain: released on drain or on failure. */
  waiting: Array<() => void>;
}

/**
 * A stream that copies every chunk to each sink and to `onChunk`, and accepts the next chunk only
 * once every sink has taken this one (a full terminal or log slows the writer, never memory). A sink
 * that fails is dropped: the run goes on, with the other sinks.
 */
export function createTee(sinks: readonly TeeSink[], onChunk?: (chunk: Uint8Array) => void): Writable {
  const states: SinkState[] = sinks.map((s) => ({ ...s, broken: false, waiting: [] }));
  for (const state of states) {
    state.stream.on("error", (error: Error) => {
      if (state.broken) return;
      state.broken = true;
      state.onError?.(error);
      for (const release of state.waiting.splice(0)) release();
    });
  }
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      onChunk?.(chunk);
      let pending = 1;
      const release = (): void => {
        if (--pending === 0) done();
      };
      for (const state of states) {
        if (state.broken) continue;
        if (!state.stream.write(chunk)) {
          pending++;
          const onDrain = (): void => {
            state.waiting = state.waiting.filter((w) => w !== onDrain);
            release();
          };
          state.waiting.push(onDrain);
          state.stream.once("drain", onDrain);
        }
      }
      release();
    },
    final(done) {
      const owned = states.filter((s) => s.end && !s.broken);
      let pending = owned.length + 1;
      const release = (): void => {
        if (--pending === 0) done();
      };
      for (const state of owned) {
        let released = false;
        const once = (): void => {
          if (released) return;
          released = true;
          release();
        };
        state.waiting.push(once); // a sink failing while it ends must not hold the tee open
        state.stream.end(once);
      }
      release();
    },
  });
}
