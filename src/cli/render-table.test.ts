import { describe, expect, it } from "vitest";
import { renderTable } from "./render-table.js";

describe("renderTable", () => {
  it("pads columns to their widest cell", () => {
    expect(renderTable(["id", "name"], [["1", "alpha"]])).toBe("id  name\n1   alpha\n");
  });

  it("shows a record's control characters as escapes, never as terminal commands", () => {
    const table = renderTable(["name"], [["\x1b]0;owned\x07evil\x1b[2J"]]);
    expect([...table].filter((c) => c !== "\n" && (c < " " || c === "\x7f"))).toEqual([]);
    expect(table).toContain("\\x1b");
  });
});
