import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter.js";

function split(chunks: Array<string | Uint8Array>, max?: number): { lines: string[]; overlong: number } {
  const lines: string[] = [];
  let overlong = 0;
  const s = new LineSplitter((l) => lines.push(l), { maxLineChars: max, onOverlong: () => overlong++ });
  for (const c of chunks) s.push(typeof c === "string" ? Buffer.from(c) : c);
  s.end();
  return { lines, overlong };
}

describe("LineSplitter", () => {
  it("splits at \\n, \\r\\n and \\r and keeps a last line without newline", () => {
    expect(split(["a\nb\r\nc\rd"]).lines).toEqual(["a", "b", "c", "d"]);
  });

  it("joins lines cut across chunks, including a UTF-8 character cut in two", () => {
    const e = Buffer.from("é");
    expect(split(["lo", "ss=1\ncaf", e.subarray(0, 1), e.subarray(1), "\n"]).lines).toEqual(["loss=1", "café"]);
  });

  it("drops a line longer than the cap and resumes at the next one", () => {
    const { lines, overlong } = split(["x".repeat(50), "y".repeat(60), "\nok=1\n"], 100);
    expect(lines).toEqual(["ok=1"]);
    expect(overlong).toBe(1);
  });

  it("keeps invalid bytes as replacement characters", () => {
    expect(split([Uint8Array.from([0xff, 0xfe, 0x61, 0x0a])]).lines).toEqual(["\ufffd\ufffda"]);
  });

  it("in verbatim mode breaks at \\n only, keeps empty lines, and cuts an overlong line instead of dropping it", () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), { maxLineChars: 4, verbatim: true });
    for (const c of ["a\r b\n\n", "123456", "7\nz"]) s.push(Buffer.from(c));
    s.end();
    expect(lines).toEqual(["a\r b", "", "123456", "7", "z"]);
  });
});
