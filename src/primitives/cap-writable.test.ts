import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { capWritable } from "./cap-writable.js";

describe("capWritable", () => {
  it.each<[string, string[], number, string, number]>([
    ["passes everything under the cap", ["ab", "cd"], 10, "abcd", 0],
    ["cuts the chunk that crosses the cap and drops the rest, telling once", ["abc", "def", "ghi"], 5, "abcde", 1],
    ["stops exactly at the cap", ["abc", "de", "f"], 5, "abcde", 1],
  ])("%s", async (_name, chunks, max, expected, told) => {
    const dir = await mkdtemp(join(tmpdir(), "mlx-cap-"));
    try {
      let capped = 0;
      const stream = capWritable(createWriteStream(join(dir, "log")), max, () => capped++);
      for (const c of chunks) stream.write(Buffer.from(c));
      stream.end();
      await finished(stream);
      expect(await readFile(join(dir, "log"), "utf8")).toBe(expected);
      expect(capped).toBe(told);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
