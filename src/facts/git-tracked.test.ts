import { describe, expect, it } from "vitest";
import { parseDirtySubmodules, parseLsFilesStage } from "./git-tracked.js";

const SHA = "4ff7d4c156b29f3ddb03437f135f51d70f8862fd";

describe("parseLsFilesStage", () => {
  it.each([
    ["", []],
    [
      `100644 ${SHA} 0\t.gitmodules\u0000160000 ${SHA} 0\tlib/sub\0`,
      [
        { mode: "100644", path: ".gitmodules" },
        { mode: "160000", path: "lib/sub" },
      ],
    ],
    [`100644 ${SHA} 0\todd\nname.txt\0`, [{ mode: "100644", path: "odd\nname.txt" }]],
  ])("%j", (text, entries) => expect(parseLsFilesStage(text)).toEqual(entries));
});

describe("parseDirtySubmodules", () => {
  const entry = (sub: string, path: string) => `1 .M ${sub} 160000 160000 160000 ${SHA} ${SHA} ${path}\0`;
  it.each([
    ["", []],
    [entry("S.MU", "lib/sub"), ["lib/sub"]],
    [entry("SC..", "a b"), ["a b"]],
    [entry("S...", "clean"), []],
    [entry("N...", "file.txt"), []],
    ["? untracked\0", []],
  ])("%j", (text, dirty) => expect(parseDirtySubmodules(text)).toEqual(dirty));
});
