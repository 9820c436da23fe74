import { describe, expect, it } from "vitest";
import { defaultTimeoutMs, validateLimits } from "./replay-limits.js";

const MiB = 1024 * 1024;
const host = { cores: 4, memoryBytes: 8192 * MiB };

describe("validateLimits", () => {
  it.each([
    ["a whole core", { cpus: 1, memoryBytes: 4096 * MiB }],
    ["a fraction of a core and the smallest memory", { cpus: 0.5, memoryBytes: 6 * MiB }],
    ["all of the host", { cpus: 4, memoryBytes: 8192 * MiB }],
  ])("accepts %s", (_name, limits) => expect(validateLimits(limits, host)).toEqual(limits));

  it.each([
    ["--cpus 0 (not unlimited)", { cpus: 0, memoryBytes: 64 * MiB }, /--cpus must be more than 0 and at most this host's 4 cores/],
    ["more cores than the host has", { cpus: 64, memoryBytes: 64 * MiB }, /--cpus/],
    ["--memory 0 (not unlimited)", { cpus: 1, memoryBytes: 0 }, /--memory must be at least 6MiB/],
    ["--memory 1k", { cpus: 1, memoryBytes: 1024 }, /--memory/],
    ["more memory than the host has", { cpus: 1, memoryBytes: 9000 * MiB }, /--memory/],
  ])("refuses %s with exit 2", (_name, limits, message) => {
    expect(() => validateLimits(limits, host)).toThrow(message);
    try {
      validateLimits(limits, host);
    } catch (error) {
      expect((error as { exitCode?: number }).exitCode).toBe(2);
    }
  });
});

describe("defaultTimeoutMs", () => {
  it.each<[number | undefined, number]>([
    [undefined, 600_000],
    [1000, 600_000],
    [120_000, 1_200_000],
  ])("for a run of %j ms: %d ms", (recorded, expected) => expect(defaultTimeoutMs(recorded)).toBe(expected));
});
