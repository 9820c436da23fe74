import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../errors.js";
import { MemoryDocker } from "../../test/helpers/memory-docker.js";
import type { PullEvent } from "../docker/docker-client.js";
import type { ProgressEvent } from "../primitives/progress-event.js";
import type { PackProgress } from "./pack-run.js";
import { digestFor, provideBaseImage, repositoryOf } from "./provide-base-image.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;

function recorder(): PackProgress & { lines: string[]; events: ProgressEvent[]; pulls: Array<[string, PullEvent | "end"]> } {
  const lines: string[] = [];
  const events: ProgressEvent[] = [];
  const pulls: Array<[string, PullEvent | "end"]> = [];
  return {
    lines,
    events,
    pulls,
    step: (l) => lines.push(l),
    update: (e) => events.push(e),
    pull: (ref) => ({ onEvent: (e) => pulls.push([ref, e]), end: () => pulls.push([ref, "end"]) }),
  };
}

describe("repositoryOf and digestFor", () => {
  it.each([
    ["node:20", "node"],
    ["127.0.0.1:5000/node:20.20.2-bookworm-slim", "127.0.0.1:5000/node"],
    ["127.0.0.1:5000/node", "127.0.0.1:5000/node"],
    [`node@${D1}`, "node"],
  ])("repositoryOf(%s) is %s", (ref, repo) => expect(repositoryOf(ref)).toBe(repo));

  it.each([
    ["node:20", [`node@${D1}`], D1],
    ["docker.io/library/node:20", [`node@${D1}`], D1],
    ["127.0.0.1:5000/node:20", [`node@${D2}`, `127.0.0.1:5000/node@${D1}`], D1],
    ["127.0.0.1:5000/node:20", [`node@${D2}`], null],
    ["node:20", [], null],
    [`node:20@${D2}`, [`node@${D1}`], D2],
  ])("digestFor(%s, %j) is %s", (ref, digests, want) => expect(digestFor(ref, digests)).toBe(want));
});

describe("provideBaseImage", () => {
  it("pulls a missing base image and pins it by the registry's digest", async () => {
    const docker = new MemoryDocker();
    docker.registry.set("127.0.0.1:5000/node:20", D1);
    const progress = recorder();
    const pin = await provideBaseImage(docker, "127.0.0.1:5000/node:20", progress);
    expect(pin).toMatchObject({ tag: "127.0.0.1:5000/node:20", ref: `127.0.0.1:5000/node@${D1}`, digest: D1, pinnedBy: "digest" });
    expect(pin.pulled).toBe(true);
    expect(docker.calls).toEqual(["pull"]);
    expect(progress.lines[0]).toMatch(/not in the engine: pulling it/);
    // The engine's events go to the CLI as they come, then the end once: no line per layer.
    expect(progress.pulls).toEqual([
      ["127.0.0.1:5000/node:20", { id: "layer1", status: "Downloading", current: 50, total: 100 }],
      ["127.0.0.1:5000/node:20", { id: "layer1", status: "Pull complete" }],
      ["127.0.0.1:5000/node:20", "end"],
    ]);
    expect(progress.lines).toHaveLength(2);
  });

  it("keeps the tag of a local image that no registry served, pinned by its id only", async () => {
    const docker = new MemoryDocker();
    const id = docker.addImage("node:20");
    const pin = await provideBaseImage(docker, "node:20", recorder());
    expect(pin).toEqual({ tag: "node:20", ref: "node:20", imageId: id, digest: null, pinnedBy: "image-id", pulled: false });
    expect(docker.calls).toEqual([]);
  });

  it("exits 3 with the offline next step when no registry gives it", async () => {
    const progress = recorder();
    const error = await provideBaseImage(new MemoryDocker(), "node:20", progress).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect((error as EnvironmentError).message).toMatch(/^base image node:20 is not in the Docker engine, and no registry gave it \(/);
    expect((error as EnvironmentError).hint).toMatch(/mlx base-image build/);
    expect(progress.pulls).toEqual([]); // no end for a pull that failed: the CLI clears its bar and prints the error
  });
});
