import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkImageArchive, smallFilesCollector } from "../../src/bundle/image-archive.js";
import { tarStreamOf } from "../../src/bundle/tar-writer.js";
import { MemoryDocker } from "./memory-docker.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-memory-docker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("MemoryDocker", () => {
  it("round-trips an image: the saved archive passes the bundle's image check and loads back under the same id", async () => {
    const docker = new MemoryDocker();
    const steps: string[] = [];
    const context = tarStreamOf([{ name: "Dockerfile", source: { kind: "data", data: Buffer.from("FROM node:20\n") }, mode: 0o644 }], 0);
    const id = await docker.build(context, { labels: {}, onStep: (l) => steps.push(l) });
    expect(steps).toEqual(["Step 1/1 : FROM node:20"]);
    const file = join(dir, "image.tar");
    await docker.save(id, file, () => undefined);
    const small = smallFilesCollector();
    await new Promise<void>((resolve, reject) => createReadStream(file).pipe(small.parser).on("end", resolve).on("error", reject));
    expect(checkImageArchive(small.files, id)).toEqual({ repoTags: [] });
    await docker.removeImage(id);
    expect(await docker.imageId(id)).toBeNull();
    await docker.load(createReadStream(file));
    expect(await docker.imageId(id)).toBe(id);
  });

  it("fails like an engine that is not there", async () => {
    const docker = new MemoryDocker();
    docker.reachable = false;
    await expect(docker.ping()).rejects.toMatchObject({ exitCode: 3 });
  });
});
