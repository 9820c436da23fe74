import { describe, expect, it } from "vitest";
import { bestBy, scoreOf } from "./best-trial.js";

const pick = (values: unknown[], direction: "maximize" | "minimize"): number | null => {
  const best = bestBy(
    values.map((value, index) => ({ value, index })),
    (c) => c.value,
    direction,
  );
  return best ? best.index : null;
};

describe("bestBy", () => {
  it.each([
    ["the highest when maximizing", [0.1, 0.9, 0.5], "maximize", 1],
    ["the lowest when minimizing", [0.1, 0.9, 0.05], "minimize", 2],
    ["the first of a tie", [0.7, 0.9, 0.9], "maximize", 1],
    ["never NaN", [Number.NaN, 0.2], "maximize", 1],
    ["never an infinity", [Number.POSITIVE_INFINITY, 0.2], "maximize", 1],
    ["never a spelled non-finite value or null", ["NaN", null, 0.3, undefined], "maximize", 2],
    ["nothing from nothing finite", [Number.NaN, null], "minimize", null],
    ["nothing from an empty list", [], "maximize", null],
  ] as const)("picks %s", (_name, values, direction, expected) => {
    expect(pick([...values], direction)).toBe(expected);
  });

  it("turns a minimized value into a score where higher is better", () => {
    expect(scoreOf(2, "minimize")).toBe(-2);
    expect(scoreOf("x", "maximize")).toBeNaN();
  });
});
