import { describe, expect, it } from "vitest";
import { applyTagEdits, parseTagEdits } from "./tag-edits.js";

describe("tag edits", () => {
  it.each([
    [["a"], ["+b"], ["a", "b"]],
    [["a", "b"], ["-a"], ["b"]],
    [["a"], ["+a"], ["a"]],
    [["a"], ["-missing"], ["a"]],
    [[], ["+x", "-x", "+y"], ["y"]],
    [["a", "a"], ["+b"], ["a", "b"]],
  ])("%j with %j gives %j", (tags, args, expected) => {
    expect(applyTagEdits(tags, parseTagEdits(args))).toEqual(expected);
  });

  it.each([[["bare"]], [["+"]], [["- "]], [["+a\nb"]], [[`+${"x".repeat(201)}`]], [[]]])("refuses %j with exit 2", (args) => {
    expect(() => parseTagEdits(args)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
