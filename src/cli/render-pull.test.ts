import { describe, expect, it } from "vitest";
import type { PullEvent } from "../docker/docker-client.js";
import type { ProgressEvent } from "../primitives/progress-event.js";
import pc from "picocolors";
import { MemoryDocker } from "../../test/helpers/memory-docker.js";
import { provideBaseImage } from "../pack/provide-base-image.js";
import { ProgressRenderer } from "./render-progress.js";
import { pullProgress } from "./render-pull.js";

describe("pullProgress", () => {
  it.each<[string, PullEvent[], Partial<ProgressEvent>]>([
    ["no layer yet: nothing known", [{ status: "Pulling from library/node" }], { done: 0 }],
    [
      "two layers downloading: their bytes summed against their sizes",
      [
        { id: "a", status: "Pulling fs layer" },
        { id: "a", status: "Downloading", current: 10, total: 100 },
        { id: "b", status: "Downloading", current: 5, total: 50 },
      ],
      { done: 15, total: 150 },
    ],
    [
      "a finished layer counts whole",
      [
        { id: "a", status: "Downloading", current: 10, total: 100 },
        { id: "a", status: "Download complete" },
        { id: "b", status: "Downloading", current: 5, total: 50 },
      ],
      { done: 105, total: 150 },
    ],
    ["a layer the engine had already adds nothing", [{ id: "c", status: "Already exists" }], { done: 0 }],
  ])("%s", (_name, events, expected) => {
    const seen: ProgressEvent[] = [];
    const pull = pullProgress("node:20", (e) => seen.push(e));
    for (const e of events) pull.onEvent(e);
    expect(seen.at(-1)).toEqual({ step: "pulling node:20", ...expected });
  });

  it("ends with one event marked end, done and total equal", () => {
    const seen: ProgressEvent[] = [];
    const pull = pullProgress("node:20", (e) => seen.push(e));
    pull.onEvent({ id: "a", status: "Downloading", current: 7, total: 9 });
    pull.end();
    expect(seen.at(-1)).toEqual({ step: "pulling node:20", done: 7, total: 7, end: true });
  });

  it.each([
    [true, /pulling 127\.0\.0\.1:5000\/node:20 [█░]+ +50% 50 B of 100 B/],
    [
      false,
      /^base image 127\.0\.0\.1:5000\/node:20 is not in the engine: pulling it[^\n]*\npulled 127\.0\.0\.1:5000\/node:20: 100 B in \d+ ms\n/,
    ],
  ])("a base-image pull through pack's progress is one step, ending pulled <ref> (terminal: %s)", async (isTTY, expected) => {
    let clock = 0;
    const stream = { isTTY, columns: 100, text: "", write: (t: string) => ((stream.text += t), true) };
    const renderer = new ProgressRenderer(stream, { quiet: false, colours: pc.createColors(false), now: () => (clock += 1) });
    const docker = new MemoryDocker();
    docker.registry.set("127.0.0.1:5000/node:20", `sha256:${"1".repeat(64)}`);
    await provideBaseImage(docker, "127.0.0.1:5000/node:20", renderer);
    expect(stream.text).toMatch(expected);
    expect(stream.text).toMatch(/pulled 127\.0\.0\.1:5000\/node:20: 100 B in \d+ ms\n/);
    expect(stream.text).not.toMatch(/layer1/);
  });
});
