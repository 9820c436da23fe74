import { describe, expect, it } from "vitest";
import { spearman } from "./rank-correlation.js";

describe("spearman", () => {
  it.each([
    [[1, 2, 3, 4], [10, 20, 30, 40], 1],
    [[1, 2, 3, 4], [40, 30, 20, 10], -1],
    [[0.9, 0.8, 0.7], [0.91, 0.79, 0.72], 1],
    [[1, 2, 3, 4, 5], [2, 1, 4, 3, 5], 0.8],
    [[1, 1, 2], [1, 1, 2], 1],
    [[5, 5, 5], [1, 2, 3], 0],
  ])("spearman(%j, %j) = %d", (a, b, r) => expect(spearman(a, b)).toBeCloseTo(r, 10));
});
