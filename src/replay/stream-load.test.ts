import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { MemoryDocker } from "../../test/helpers/memory-docker.js";
import { smallFilesCollector } from "../bundle/image-archive.js";
import type { OpenBundle } from "../bundle/read-bundle.js";
import { type TarEntry, tarStreamOf } from "../bundle/tar-writer.js";
import type { BundleManifest } from "../record/types.js";
import { streamLoad } from "./stream-load.js";

const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
const id = `sha256:${createHash("sha256").update(config).digest("hex")}`;
const file = (name: string, data: string | Buffer): TarEntry => ({ name, source: { kind: "data", data: Buffer.from(data) }, mode: 0o644 });
const archiveEntries = [
  file(`${id.slice(7)}.json`, config),
  file("manifest.json", JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: ["victim:latest"], Layers: [] }])),
];
const manifest = (imageId: string): BundleManifest => ({ image: { id: imageId, file: "image.tar" } }) as unknown as BundleManifest;

/** The bytes of a small docker-save archive, and what the bundle's verifying pass would have collected of them. */
async function archive(): Promise<{ bytes: Buffer; opened: (imageId: string) => OpenBundle }> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarStreamOf(archiveEntries, 0)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  const collector = smallFilesCollector();
  await new Promise<void>((resolve) => collector.parser.end(bytes, resolve));
  return { bytes, opened: (imageId) => ({ manifest: manifest(imageId), imageFiles: collector.files }) as unknown as OpenBundle };
}

const quiet = { step: () => undefined };

describe("streamLoad: image.tar into the engine during verification, completed only once verified", () => {
  it("loads nothing until finish, then the image untagged", async () => {
    const engine = new MemoryDocker();
    const { bytes, opened } = await archive();
    const load = streamLoad({ docker: engine, ...quiet });
    const sink = await load.sink(manifest(id));
    await pipeline(Readable.from([bytes]), sink!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(engine.images.has(id)).toBe(false); // the end of the archive is held back
    expect(load.mode()).toBe("streaming");
    expect(await load.finish(opened(id))).toBe("loaded");
    expect(engine.images.get(id)?.tags).toEqual([]);
  });

  it("leaves nothing in the engine when aborted after the whole archive was streamed (a later check failed)", async () => {
    const engine = new MemoryDocker();
    const { bytes } = await archive();
    const load = streamLoad({ docker: engine, ...quiet });
    await pipeline(Readable.from([bytes]), (await load.sink(manifest(id)))!);
    await load.abort();
    await load.abort(); // again: nothing more happens
    expect(engine.images.size).toBe(0);
  });

  it("refuses at finish an archive whose config is not the bundle's image, loading nothing", async () => {
    const engine = new MemoryDocker();
    const { bytes, opened } = await archive();
    const other = `sha256:${"d".repeat(64)}`;
    const load = streamLoad({ docker: engine, ...quiet });
    await pipeline(Readable.from([bytes]), (await load.sink(manifest(other)))!);
    await expect(load.finish(opened(other))).rejects.toThrow(/image.tar holds image .* but the bundle names/);
    expect(engine.images.size).toBe(0);
  });

  it("only hashes image.tar (sends nothing) when the engine has the image already", async () => {
    const engine = new MemoryDocker();
    const present = engine.addImage("present:1");
    const load = streamLoad({ docker: engine, ...quiet });
    const sink = await load.sink(manifest(present));
    await pipeline(Readable.from([Buffer.alloc(4096, 1)]), sink!);
    expect(load.mode()).toBe("present");
    expect(engine.calls).not.toContain("load");
  });
});
