import { Writable } from "node:stream";

/** A stream that writes each line to `target` behind `prefix` ("[3] "), so that parallel trials stay readable. */
export function prefixLines(prefix: string, target: NodeJS.WritableStream): Writable {
  let pending = "";
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (pending + chunk.toString("utf8")).split("\n");
      pending = lines.pop() ?? "";
      if (lines.length > 0) target.write(lines.map((l) => `${prefix}${l}\n`).join(""));
      done();
    },
    final(done) {
      if (pending) target.write(`${prefix}${pending}\n`);
      done();
    },
  });
}
