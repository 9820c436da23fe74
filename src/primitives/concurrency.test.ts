import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { clampConcurrency, MAX_CONCURRENCY, parseConcurrency } from "./concurrency.js";

describe("parseConcurrency", () => {
  it.each([
    ["1", 1],
    ["8", 8],
    [" 16 ", 16],
    ["256", 256],
  ])("reads %j as %d", (text, expected) => {
    expect(parseConcurrency(text)).toBe(expected);
  });

  it.each(["0", "257", "-1", "2x", "1.5", "", "abc", "1e2"])("refuses %j with exit 2, naming the flag and the bounds", (text) => {
    const attempt = (): number => parseConcurrency(text, "--concurrency");
    expect(attempt).toThrow(BadInputError);
    expect(attempt).toThrow(`--concurrency must be a whole number from 1 to ${MAX_CONCURRENCY}, got '${text}'`);
  });
});

describe("clampConcurrency", () => {
  it.each([
    [0, 1],
    [1, 1],
    [12, 12],
    [1000, MAX_CONCURRENCY],
  ])("brings %d to %d", (value, expected) => {
    expect(clampConcurrency(value)).toBe(expected);
  });
});
