import { describe, expect, it } from "vitest";
import { renderCsv } from "./render-csv.js";

describe("renderCsv", () => {
  it.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["two\nlines", '"two\nlines"'],
    ["cr\r", '"cr\r"'],
    ["", ""],
  ])("writes %j as %j", (value, field) => {
    expect(renderCsv(["h"], [[value]])).toBe(`h\r\n${field}\r\n`);
  });

  it("ends every record, header included, with CRLF", () => {
    expect(
      renderCsv(
        ["a", "b"],
        [
          ["1", "2"],
          ["3", ""],
        ],
      ),
    ).toBe("a,b\r\n1,2\r\n3,\r\n");
  });

  it.each([
    ['=HYPERLINK("http://x")', '"\'=HYPERLINK(""http://x"")"'],
    ["+1+cmd", "'+1+cmd"],
    ["@SUM(A1)", "'@SUM(A1)"],
    ["-2+3", "'-2+3"],
    ["-0.5", "-0.5"],
    ["+3", "+3"],
    ["-Infinity", "-Infinity"],
    ["plain", "plain"],
  ])("guards %s against spreadsheet formulas, numbers left as numbers", (value, field) => {
    expect(renderCsv(["h"], [[value]])).toBe(`h\r\n${field}\r\n`);
  });
});
