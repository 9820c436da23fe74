import pc from "picocolors";
import { describe, expect, it } from "vitest";
import { colourEnabled, coloursFor } from "./render-colour.js";
import { ProgressRenderer, renderStepDone } from "./render-progress.js";

/** A stand-in for stderr: collects what is written; a terminal when `isTTY`. */
function fakeStream(isTTY: boolean, columns = 100): { write(text: string): boolean; isTTY: boolean; columns: number; text: string } {
  return {
    isTTY,
    columns,
    text: "",
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

const plain = pc.createColors(false);
const MiB = 1024 ** 2;

describe("renderStepDone", () => {
  it.each([
    ["saving image", 212.4 * MiB, undefined, 3100, "saved image: 212.4 MiB in 3.1 s"],
    ["verifying bundle.tar", 400 * MiB, "bytes", 2000, "verified bundle.tar: 400.0 MiB in 2.0 s"],
    ["writing bundle", 512, "bytes", 40, "wrote bundle: 512 B in 40 ms"],
    ["building image", 7, "steps", 12_000, "built image: 7 steps in 12.0 s"],
    ["loading image", 1, "steps", 1, "loaded image: 1 step in 1 ms"],
    ["hashing data", 2048, "bytes", 5, "hashed data: 2.0 KiB in 5 ms"],
  ] as const)("%s -> %s", (step, done, unit, ms, expected) => {
    expect(renderStepDone(step, done, unit, ms)).toBe(expected);
  });
});

describe("ProgressRenderer", () => {
  it("prints one line per finished step, no updates and no escape codes, when stderr is not a terminal", () => {
    let clock = 0;
    const stream = fakeStream(false);
    const progress = new ProgressRenderer(stream, { quiet: false, colours: plain, now: () => clock });
    progress.step("building the image on node:20");
    for (let done = 0; done <= 100 * MiB; done += MiB) {
      clock += 10;
      progress.update({ step: "saving image", done });
    }
    progress.update({ step: "saving image", done: 100 * MiB, end: true });
    progress.update({ step: "verifying bundle.tar", done: 0, total: 10 });
    progress.update({ step: "verifying bundle.tar", done: 10, total: 10, end: true });
    progress.close();
    expect(stream.text).toBe("building the image on node:20\nsaved image: 100.0 MiB in 1.0 s\nverified bundle.tar: 10 B in 0 ms\n");
  });

  it("draws a bar with a percentage and an estimate at a terminal when the size is known, then leaves the done line", () => {
    let clock = 1_000;
    const stream = fakeStream(true);
    const progress = new ProgressRenderer(stream, { quiet: false, colours: plain, now: () => clock });
    progress.update({ step: "verifying bundle.tar", done: 0, total: 400 * MiB });
    clock += 1_000;
    progress.update({ step: "verifying bundle.tar", done: 100 * MiB, total: 400 * MiB });
    // A bar shows at once, before the step has gone far: the first frame is drawn by start.
    expect(stream.text).toMatch(/verifying bundle\.tar [█░]+ +0% 0 B of 400\.0 MiB/);
    progress.update({ step: "verifying bundle.tar", done: 400 * MiB, total: 400 * MiB, end: true });
    expect(stream.text).toMatch(/verified bundle\.tar: 400\.0 MiB in 1\.0 s\n$/);
    expect(stream.text).toContain("\x1b["); // redrawn in place
  });

  it("shows the amount and the rate at a terminal when the size is unknown, with an ETA once known", () => {
    let clock = 0;
    const stream = fakeStream(true);
    const progress = new ProgressRenderer(stream, { quiet: false, colours: plain, now: () => clock });
    progress.update({ step: "saving image", done: 0 });
    clock += 2_000;
    progress.update({ step: "saving image", done: 64 * MiB, end: true });
    expect(stream.text).toContain("saving image 0 B (0 B/s)");
    expect(stream.text).toMatch(/saved image: 64\.0 MiB in 2\.0 s\n$/);
    expect(stream.text).not.toContain("%");
  });

  it("prints nothing at all when quiet, terminal or not", () => {
    for (const isTTY of [true, false]) {
      const stream = fakeStream(isTTY);
      const progress = new ProgressRenderer(stream, { quiet: true, colours: plain });
      progress.step("building the image");
      progress.update({ step: "saving image", done: 0, total: 10 });
      progress.update({ step: "saving image", done: 10, total: 10, end: true });
      progress.close();
      expect(stream.text).toBe("");
    }
  });

  it("prints a step line above a bar that is showing, and clears the bar when closed early", () => {
    const stream = fakeStream(true);
    const progress = new ProgressRenderer(stream, { quiet: false, colours: plain });
    progress.update({ step: "building image", done: 1, total: 7, unit: "steps" });
    progress.step("  Step 2/7 : COPY . /app");
    progress.close();
    expect(stream.text).toContain("\r\x1b[K  Step 2/7 : COPY . /app\n");
    expect(stream.text).toMatch(/building image [█░]+ +14% 1 step of 7 steps/);
  });

  it("colours the done line when colour is on, and only then", () => {
    const coloured = fakeStream(false);
    new ProgressRenderer(coloured, { quiet: false, colours: pc.createColors(true) }).update({ step: "saving image", done: 1, end: true });
    // eslint-disable-next-line no-control-regex -- the escape codes are what is tested
    expect(coloured.text).toMatch(/^\x1b\[32msaved image: 1 B in \d+ ms\x1b\[39m\n$/);
  });
});

describe("colourEnabled", () => {
  it.each([
    ["a terminal", {}, true, true],
    ["a pipe", {}, false, false],
    ["NO_COLOR at a terminal", { NO_COLOR: "1" }, true, false],
    ["an empty NO_COLOR", { NO_COLOR: "" }, true, true],
    ["FORCE_COLOR into a pipe", { FORCE_COLOR: "1" }, false, true],
    ["FORCE_COLOR=0 at a terminal", { FORCE_COLOR: "0" }, true, false],
    ["NO_COLOR over FORCE_COLOR", { NO_COLOR: "1", FORCE_COLOR: "1" }, false, false],
    ["TERM=dumb at a terminal", { TERM: "dumb" }, true, false],
  ])("%s", (_name, env, isTty, expected) => {
    expect(colourEnabled(env, isTty)).toBe(expected);
    expect(coloursFor({ isTTY: isTty }, env).red("x") !== "x").toBe(expected);
  });
});
