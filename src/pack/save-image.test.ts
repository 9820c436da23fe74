import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EnvironmentError } from "../errors.js";
import { MemoryDocker } from "../../test/helpers/memory-docker.js";
import { saveImage } from "./save-image.js";

let folder: string;
const quiet = { step: () => undefined, update: () => undefined };

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "mlx-save-image-"));
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe("saveImage: image.tar beside the bundle, compressed as it is saved", () => {
  it("gives with gzip an archive holding what docker save wrote, and leaves only that file", async () => {
    const docker = new MemoryDocker();
    const id = docker.addImage("app:1");
    const temps = new Set<string>();
    const plain = await saveImage(id, join(folder, "a.tar"), "none", { docker, progress: quiet, temps }, []);
    const zipped = await saveImage(id, join(folder, "b.tar"), "gzip", { docker, progress: quiet, temps }, []);
    // No layers in the memory engine's archive: the same members, the same bytes.
    expect((await readFile(zipped)).equals(await readFile(plain))).toBe(true);
    expect((await readdir(folder)).sort()).toEqual([plain, zipped].map((p) => p.slice(folder.length + 1)).sort());
    expect([...temps].sort()).toEqual([plain, zipped].sort());
  });

  it("ends with the engine's own error and leaves nothing when the save fails", async () => {
    const docker = new MemoryDocker();
    const temps = new Set<string>();
    const error = await saveImage("sha256:nope", join(folder, "b.tar"), "gzip", { docker, progress: quiet, temps }, []).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(String(error)).toMatch(/no such image sha256:nope/);
    expect(await readdir(folder)).toEqual([]);
    expect(temps.size).toBe(0);
  });
});
