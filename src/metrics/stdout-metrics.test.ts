import { describe, expect, it } from "vitest";
import { compileMetricPattern, DEFAULT_METRIC_PATTERN, parseMetricLine } from "./stdout-metrics.js";

const pattern = compileMetricPattern(DEFAULT_METRIC_PATTERN);

describe("parseMetricLine", () => {
  it.each([
    ["loss=0.5", undefined, [["loss", 0.5]]],
    ["loss: 0.25", undefined, [["loss", 0.25]]],
    [
      "epoch=3 loss=0.41 acc: 0.9",
      3,
      [
        ["loss", 0.41],
        ["acc", 0.9],
      ],
    ],
    [
      "step: 10, val/loss=1e-3; lr = 2.5E+2",
      10,
      [
        ["val/loss", 0.001],
        ["lr", 250],
      ],
    ],
    [
      "loss=NaN acc=inf neg=-Infinity",
      undefined,
      [
        ["loss", "NaN"],
        ["acc", "Infinity"],
        ["neg", "-Infinity"],
      ],
    ],
    ["acc=1e999", undefined, [["acc", "Infinity"]]],
    ["x=-0", undefined, [["x", 0]]],
  ])("reads %j", (line, step, values) => {
    const parsed = parseMetricLine(line, pattern);
    expect(parsed.step).toBe(step);
    expect(parsed.values.map((v) => [v.name, v.value])).toEqual(values);
  });

  it.each(["GET http://host:8080/x", "at 12:30:45 started", "name=alice", "loss=0.5abc", "ratio=1.2.3", ""])(
    "finds no metric in %j",
    (line) => {
      expect(parseMetricLine(line, pattern).values).toEqual([]);
    },
  );

  it("uses a custom pattern with named groups", () => {
    const custom = compileMetricPattern(String.raw`METRIC (?<name>\w+) (?<value>[-\d.]+)`);
    expect(parseMetricLine("METRIC f1 0.8 and loss=3", custom).values).toEqual([{ name: "f1", value: 0.8 }]);
  });

  it.each([
    ["(unclosed", /not a valid regular expression/],
    [String.raw`(\w+)=(\d+)`, /named groups/],
  ])("refuses the pattern %j", (source, message) => {
    expect(() => compileMetricPattern(source)).toThrow(message);
  });
});
