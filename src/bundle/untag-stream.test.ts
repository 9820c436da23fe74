import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Parser, type ReadEntry } from "tar";
import { describe, expect, it } from "vitest";
import { checkImageArchive } from "./image-archive.js";
import { type TarEntry, tarStreamOf } from "./tar-writer.js";
import { untagStream } from "./untag-stream.js";

const config = Buffer.from('{"architecture":"amd64"}');
const hex = createHash("sha256").update(config).digest("hex");
const layer = Buffer.alloc(6 * 1024 * 1024 + 3, 1); // over the small-member size: streamed through
const file = (name: string, data: Buffer | string): TarEntry => ({ name, source: { kind: "data", data: Buffer.from(data) }, mode: 0o644 });
const manifest = JSON.stringify([{ Config: `${hex}.json`, RepoTags: ["victim:latest"], Layers: ["l/layer.tar"] }]);
const index = JSON.stringify({
  schemaVersion: 2,
  manifests: [
    {
      digest: "sha256:x",
      annotations: { "io.containerd.image.name": "victim:latest", "org.opencontainers.image.ref.name": "latest", keep: "1" },
    },
  ],
});

/** Every member of a tar stream: name -> bytes. */
async function members(stream: Readable): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () => found.set(entry.path, Buffer.concat(chunks)));
    },
  });
  await pipeline(stream, parser);
  return found;
}

/** Runs `entries` through the re-emitter, releasing its end once the input finished. */
async function untag(entries: readonly TarEntry[]): Promise<{ out: Map<string, Buffer>; untag: ReturnType<typeof untagStream> }> {
  const u = untagStream();
  const out = members(u.output);
  await pipeline(tarStreamOf(entries, 0), u.input);
  u.release();
  return { out: await out, untag: u };
}

describe("untagStream: the archive for docker load, with nothing that names an image", () => {
  for (const order of ["manifest first", "manifest last"] as const) {
    it(`drops repositories, nulls RepoTags and strips naming annotations, passing the rest as it came (${order})`, async () => {
      const named = [file("manifest.json", manifest), file("repositories", '{"victim":{"latest":"x"}}'), file("index.json", index)];
      const rest = [file(`${hex}.json`, config), file("l/layer.tar", layer)];
      const { out, untag: u } = await untag(order === "manifest first" ? [...named, ...rest] : [...rest, ...named]);
      expect([...out.keys()].sort()).toEqual([`${hex}.json`, "index.json", "l/layer.tar", "manifest.json"]);
      expect(JSON.parse(out.get("manifest.json")!.toString())).toEqual([
        { Config: `${hex}.json`, RepoTags: null, Layers: ["l/layer.tar"] },
      ]);
      expect(JSON.parse(out.get("index.json")!.toString()).manifests[0].annotations).toEqual({ keep: "1" });
      expect(out.get("l/layer.tar")!.equals(layer)).toBe(true);
      // The same pass saw the archive as it came, for the check (which refuses these names before the end goes out).
      expect(u.files.files.get("manifest.json")?.toString()).toBe(manifest);
      expect(u.files.counts.get("repositories")).toBe(1);
      expect(() => checkImageArchive(u.files, `sha256:${hex}`)).toThrow(/repositories file names images/);
      expect(u.files.files.has("l/layer.tar")).toBe(false); // large members are not kept in memory
    });
  }

  it("holds back the end of the archive until released: a reader never sees it end before", async () => {
    const u = untagStream();
    let ended = false;
    const out = members(u.output).then((m) => ((ended = true), m));
    await pipeline(tarStreamOf([file(`${hex}.json`, config), file("manifest.json", manifest)], 0), u.input);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ended).toBe(false);
    u.release();
    expect([...(await out).keys()]).toEqual([`${hex}.json`, "manifest.json"]);
  });

  it("cuts the output with an error when its input is destroyed before the end", async () => {
    const u = untagStream();
    const out = members(u.output).then(
      () => "ended",
      (e: unknown) => String(e),
    );
    u.input.write(Buffer.alloc(512 * 3, 0x61));
    u.input.destroy(new Error("verification failed"));
    expect(await out).toMatch(/verification failed/);
  });
});
