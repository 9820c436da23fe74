import { describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { sanitizedLines, sanitizeLine, sanitizeText } from "./sanitize-text.js";

describe("sanitizeText", () => {
  it.each([
    ["plain text", "loss 0.5", false, "loss 0.5"],
    ["ESC of a colour", "\u001b[31mred", false, "\\x1b[31mred"],
    ["a title change (OSC ... BEL)", "\u001b]0;pwned\u0007", false, "\\x1b]0;pwned\\x07"],
    ["a screen clear", "\u001b[2J\u001b[H", false, "\\x1b[2J\\x1b[H"],
    ["a carriage return that would overwrite the line", "ok\rREPRODUCED", false, "ok\\x0dREPRODUCED"],
    ["DEL", "a\u007fb", false, "a\\x7fb"],
    ["a C1 CSI", "a\u009b2Jb", false, "a\\x9b2Jb"],
    ["NUL and backspace", "a\u0000\bb", false, "a\\x00\\x08b"],
    ["a newline in a one-line field", "acc\nREPRODUCED: 1", false, "acc\\x0aREPRODUCED: 1"],
    ["a tab in a one-line field", "a\tb", false, "a\\x09b"],
    ["newlines and tabs kept when multiline", "a\n\tb\u001b", true, "a\n\tb\\x1b"],
    ["a bidi override", "abc\u202edef", false, "abc\\u{202e}def"],
    ["a line separator", "a\u2028b", false, "a\\u{2028}b"],
    ["non-ASCII letters kept", "précision é 精度", false, "précision é 精度"],
  ])("%s", (_name, input, multiline, expected) => {
    expect(sanitizeText(input, multiline)).toBe(expected);
    if (!multiline) expect(sanitizeLine(input)).toBe(expected);
  });
});

describe("sanitizedLines", () => {
  async function echo(chunks: Array<string | Buffer>): Promise<string> {
    let text = "";
    const target = new Writable({
      write(chunk: Buffer, _e, done) {
        text += chunk.toString("utf8");
        done();
      },
    });
    const stream = sanitizedLines(target);
    for (const c of chunks) stream.write(typeof c === "string" ? Buffer.from(c) : c);
    stream.end();
    await finished(stream);
    return text;
  }

  it("marks every line and escapes what it holds", async () => {
    expect(await echo(["hello\n\u001b]0;x\u0007REPRO", "DUCED\nlast"])).toBe("│ hello\n│ \\x1b]0;x\\x07REPRODUCED\n│ last\n");
  });

  it("keeps a character cut between chunks whole", async () => {
    const e = Buffer.from("é\n");
    expect(await echo([e.subarray(0, 1), e.subarray(1)])).toBe("│ é\n");
  });

  it("escapes a carriage return so a line cannot overwrite its mark", async () => {
    expect(await echo(["50%\r100%\n"])).toBe("│ 50%\\x0d100%\n");
  });
});
