import { describe, expect, it } from "vitest";
import { verbsFor } from "./main.js";

const ALL = ["capture", "ls", "show", "pack", "replay", "report", "base-image", "diff", "tag", "rm"];

describe("verbsFor: the verbs whose modules a command line loads", () => {
  it.each([
    [["capture", "--", "node", "-e", "0"], ["capture"]],
    [["replay", "bundle.tar"], ["replay"]],
    [["base-image", "build"], ["base-image"]],
    [["ls"], ["ls"]],
  ])("%j loads only the verb it names", (argv, verbs) => {
    expect(verbsFor(argv)).toEqual(verbs);
  });

  it.each([[["-V"]], [["--version"]]])("%j loads no verb: commander prints the version", (argv) => {
    expect(verbsFor(argv)).toEqual([]);
  });

  it.each([[[]], [["--help"]], [["help", "capture"]], [["captur"]], [["-V", "capture"]], [["toString"]], [["__proto__"]]])(
    "%j loads every verb, in help order (help, suggestions for a typo)",
    (argv) => {
      expect(verbsFor(argv)).toEqual(ALL);
    },
  );
});
