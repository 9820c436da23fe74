import { appendFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAtStep, watchStep } from "./watch-step.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-watch-step-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (name: string, step: number | undefined, value = 1): string =>
  JSON.stringify({ name, value, ...(step === undefined ? {} : { step }), time: 0 }) + "\n";

/** Resolves true once `watch.reached` does, false when it has not within `ms`. */
const within = (reached: Promise<void>, ms: number): Promise<boolean> =>
  Promise.race([reached.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("isAtStep", () => {
  it.each([
    ["the metric at the step", line("loss", 3), true],
    ["the metric past the step", line("loss", 4), true],
    ["the metric before the step", line("loss", 2), false],
    ["another metric at the step", line("acc", 3), false],
    ["no step", line("loss", undefined), false],
    ["a step that is not an integer", '{"name":"loss","value":1,"step":3.5}', false],
    ["a cut line", '{"name":"loss","value":1,"st', false],
    ["not an object", "3", false],
  ])("%s: %s", (_name, text, expected) => expect(isAtStep(text.trim(), "loss", 3)).toBe(expected));
});

describe("watchStep", () => {
  it("resolves once either file reaches the step, reading each on as it grows, a line split between writes included", async () => {
    const series = join(dir, "metrics.jsonl");
    const sdk = join(dir, "sdk-metrics.jsonl");
    writeFileSync(series, line("loss", 0) + line("loss", 1));
    const watch = watchStep([series, sdk], "loss", 3, 10);
    try {
      expect(await within(watch.reached, 100)).toBe(false);
      const step3 = line("loss", 3);
      writeFileSync(sdk, line("loss", 2) + step3.slice(0, 10)); // the SDK file appears, its last line half written
      expect(await within(watch.reached, 100)).toBe(false);
      appendFileSync(sdk, step3.slice(10));
      expect(await within(watch.reached, 2000)).toBe(true);
    } finally {
      watch.close();
    }
  });

  it("never follows a link planted in place of a file", async () => {
    const target = join(dir, "elsewhere.jsonl");
    writeFileSync(target, line("loss", 9));
    const link = join(dir, "link.jsonl");
    symlinkSync(target, link);
    const watch = watchStep([link], "loss", 3, 10);
    try {
      expect(await within(watch.reached, 150)).toBe(false);
    } finally {
      watch.close();
    }
  });
});
