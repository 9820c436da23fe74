import { describe, expect, it } from "vitest";
import { parseHeadBranch, pickRemote } from "./probe-git.js";

describe("git file parsing", () => {
  it.each([
    ["ref: refs/heads/main\n", "main"],
    ["ref: refs/heads/feature/x\n", "feature/x"],
    ["0123456789abcdef0123456789abcdef01234567\n", null],
  ])("parseHeadBranch(%j)", (head, branch) => expect(parseHeadBranch(head)).toBe(branch));

  it("prefers origin, strips credentials, and is null without remotes", () => {
    expect(pickRemote("remote.backup.url https://b/r.git\nremote.origin.url https://alice:tok@github.com/o/r.git")).toBe(
      "https://github.com/o/r.git",
    );
    expect(pickRemote("remote.backup.url git@host:o/r.git")).toBe("git@host:o/r.git");
    expect(pickRemote(null)).toBeNull();
  });
});
