import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { prefixLines } from "./prefix-lines.js";

async function prefixed(chunks: Uint8Array[]): Promise<string> {
  const target = new PassThrough();
  let text = "";
  target.on("data", (c: Buffer) => (text += c.toString("utf8")));
  const stream = prefixLines("[1] ", target);
  for (const c of chunks) stream.write(c);
  await new Promise<void>((resolve) => stream.end(resolve));
  return text;
}

describe("prefixLines", () => {
  it("prefixes every line, empty ones included, and ends a last line without newline", async () => {
    expect(await prefixed([Buffer.from("a\n\nb")])).toBe("[1] a\n[1] \n[1] b\n");
  });

  it("keeps a UTF-8 character cut across two chunks whole", async () => {
    const e = Buffer.from("é");
    expect(await prefixed([Buffer.from("caf"), e.subarray(0, 1), e.subarray(1), Buffer.from("\n")])).toBe("[1] café\n");
  });
});
