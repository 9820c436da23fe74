import { Writable } from "node:stream";
import { LineSplitter } from "./line-splitter.js";

/** A stream that writes each line to `target` behind `prefix` ("[3] "), so that parallel trials stay readable. */
export function prefixLines(prefix: string, target: NodeJS.WritableStream): Writable {
  let lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(`${prefix}${line}\n`), { verbatim: true, maxLineChars: 64 * 1024 });
  const flush = (): void => {
    if (lines.length > 0) target.write(lines.join(""));
    lines = [];
  };
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      splitter.push(chunk);
      flush();
      done();
    },
    final(done) {
      splitter.end();
      flush();
      done();
    },
  });
}
