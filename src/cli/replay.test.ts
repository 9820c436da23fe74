import { describe, expect, it } from "vitest";
import { DEFAULT_TOLERANCE } from "../metrics/compare-metrics.js";
import { toleranceOf } from "./replay.js";

describe("toleranceOf", () => {
  it.each([
    ["the one default when none is given", undefined, undefined, { ...DEFAULT_TOLERANCE }],
    ["--rtol over the default, explicit", 1e-3, undefined, { ...DEFAULT_TOLERANCE, rtol: 1e-3, explicit: true }],
    ["--atol over the default, explicit", undefined, 0.5, { ...DEFAULT_TOLERANCE, atol: 0.5, explicit: true }],
    ["both", 0, 0, { rtol: 0, atol: 0, perMetric: {}, explicit: true }],
  ])("gives %s", (_name, rtol, atol, expected) => {
    expect(toleranceOf(rtol, atol)).toEqual(expected);
  });
});
