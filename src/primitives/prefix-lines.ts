import { Writable } from "node:stream";
import { LineSplitter } from "./line-splitter.js";

/**
 * A stream that writes each line to `target` behind `prefix` ("[3] "), so that parallel trials stay
 * readable; `transform` may rewrite each line first. It waits for `target` to drain.
 */
export function prefixLines(prefix: string, target: NodeJS.WritableStream, transform: (line: string) => string = (l) => l): Writable {
  let lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(`${prefix}${transform(line)}\n`), { verbatim: true, maxLineChars: 64 * 1024 });
  const flush = (done: (error?: Error | null) => void): void => {
    const text = lines.join("");
    lines = [];
    if (!text || target.write(text)) done();
    else target.once("drain", () => done());
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      splitter.push(chunk);
      flush(done);
    },
    final(done) {
      splitter.end();
      flush(done);
    },
  });
}
