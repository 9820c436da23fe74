// The run index's line format, as plain data: which line of a run wins, and what counts as garbage.
import { describe, expect, it } from "vitest";
import { decodeLine, indexLine, parseIndex, type IndexEntry } from "../src/record/run-index-lines.js";
import { invalidRow } from "../src/record/run-row.js";

const entry = (id: string, mtimeMs: number, tag: string): IndexEntry => ({
  key: { size: 10, mtimeMs, ino: 7 },
  pid: null,
  row: { ...invalidRow(id, "x"), status: "succeeded", tags: [tag] },
});
const tagOf = (line: string | undefined): string | undefined => (line === undefined ? undefined : decodeLine(line, "a")?.row.tags[0]);

describe("parseIndex", () => {
  it.each([
    ["the newer mtime, written last", [entry("a", 1, "old"), entry("a", 2, "new")], "new"],
    ["the newer mtime, written first (a line carried over late)", [entry("a", 2, "new"), entry("a", 1, "old")], "new"],
    ["on a tie, the later line", [entry("a", 5, "first"), entry("a", 5, "second")], "second"],
  ])("keeps %s", (_, entries, tag) => {
    const { lines, count, garbage } = parseIndex(entries.map((e) => indexLine("a", e)).join(""));
    expect([tagOf(lines.get("a")), count, garbage, lines.size]).toEqual([tag, entries.length, 0, 1]);
  });

  it.each([
    ["a line that is not JSON", "hello\n"],
    ["an empty line", "\n"],
    ["a line of another version", '{"v":2,"id":"a","size":1,"mtimeMs":1,"ino":1,"row":{}}\n'],
    ["an id with a slash", '{"v":1,"id":"../a","size":1,"mtimeMs":1,"ino":1,"row":{}}\n'],
    ["a torn line a later append ran into", indexLine("a", entry("a", 1, "x")).slice(0, 40) + indexLine("b", entry("b", 2, "y"))],
  ])("counts %s as garbage", (_, text) => {
    const { garbage, count } = parseIndex(indexLine("c", entry("c", 1, "ok")) + text);
    expect([garbage, count]).toEqual([1, 1]);
  });

  it("finds each run among many, and slices only the line asked for", () => {
    const text = ["a", "b", "c"].map((id, i) => indexLine(id, entry(id, i, id))).join("");
    const { lines } = parseIndex(text);
    expect([...lines.keys()].sort()).toEqual(["a", "b", "c"]);
    expect(decodeLine(lines.get("b")!, "b")!.row.tags).toEqual(["b"]);
    lines.set("b", indexLine("b", entry("b", 9, "set")).slice(0, -1));
    lines.delete("c");
    expect([lines.size, decodeLine(lines.get("b")!, "b")!.row.tags, lines.has("c")]).toEqual([2, ["set"], false]);
  });
});

describe("decodeLine", () => {
  it("refuses a sound head whose body is broken, or that names another run", () => {
    const line = indexLine("a", entry("a", 1, "t")).slice(0, -1);
    expect(decodeLine(line, "a")?.row.tags).toEqual(["t"]);
    expect(decodeLine(line, "b")).toBeNull();
    expect(decodeLine(line.replace('"tags":["t"]', '"tags":"t"'), "a")).toBeNull();
    expect(decodeLine(line.slice(0, -3), "a")).toBeNull();
  });

  it.each<[string, Record<string, unknown>]>([
    ["a createdAt that is not text", { createdAt: 12 }],
    ["an exit code that is not a number", { exitCode: "zero" }],
    ["a row of another run", { id: "LIE" }],
    ["a metric that is neither a number nor a non-finite name", { metrics: { acc: "high" } }],
    ["a group without its trial", { group: { id: "g" } }],
    ["a tag that is not text", { tags: [1] }],
  ])("refuses %s, so that the run is read from its folder", (_, change) => {
    const parsed = JSON.parse(indexLine("a", entry("a", 1, "t"))) as { row: Record<string, unknown> };
    expect(decodeLine(JSON.stringify(parsed), "a")).not.toBeNull();
    expect(decodeLine(JSON.stringify({ ...parsed, row: { ...parsed.row, ...change } }), "a")).toBeNull();
  });
});
