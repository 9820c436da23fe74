import { describe, expect, it } from "vitest";
import { parseDuration } from "./parse-duration.js";

describe("parseDuration", () => {
  it.each<[string, number | null]>([
    ["90s", 90_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["1h30m", 5_400_000],
    ["45", 45_000],
    ["1.5", 1500],
    ["0", null],
    ["0s", null],
    ["", null],
    ["10 minutes", null],
    ["-5s", null],
    ["m", null],
    ["1d", null],
  ])("%j -> %j", (text, ms) => expect(parseDuration(text)).toBe(ms));
});
