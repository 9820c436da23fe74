import { Writable } from "node:stream";

/**
 * A stream that passes at most `maxBytes` on to `target` and drops the rest, telling `onCap` once:
 * a log of someone else's output cannot fill the disk. Backpressure and end pass through.
 */
export function capWritable(target: NodeJS.WritableStream, maxBytes: number, onCap: () => void): Writable {
  let written = 0;
  let capped = false;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const room = maxBytes - written;
      if (chunk.length > room && !capped) {
        capped = true;
        onCap();
      }
      const part = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk;
      written += part.length;
      if (part.length === 0 || target.write(part)) done();
      else target.once("drain", () => done());
    },
    final(done) {
      target.end(() => done());
    },
  });
  target.on("error", (error: Error) => stream.destroy(error));
  return stream;
}
