import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { gunzipSync, gzipSync } from "node:zlib";
import { Parser, type ReadEntry } from "tar";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EnvironmentError } from "../errors.js";
import { compressImageArchive, PIECE_BYTES } from "./compress-image.js";
import { type TarEntry, tarStreamOf } from "./tar-writer.js";

const LAYER_A = `${"a".repeat(64)}/layer.tar`;
const LAYER_B = `${"b".repeat(64)}/layer.tar`;
const LINKED = `${"c".repeat(64)}/layer.tar`;

/** Text that compresses about as well as a file system layer does (a cheap generator: the tests make 10 MiB of it). */
function layerBytes(sizeBytes: number, seed: number): Buffer {
  const out = Buffer.alloc(sizeBytes);
  let x = seed * 2654435761;
  for (let i = 0; i < sizeBytes; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 64 === 63 ? 10 : 97 + ((x >>> 16) % 16);
  }
  return out;
}

const file = (name: string, data: Buffer | string): TarEntry => ({ name, source: { kind: "data", data: Buffer.from(data) }, mode: 0o644 });
const dir = (name: string): TarEntry => ({ name, source: { kind: "dir" }, mode: 0o755 });

/** What docker save (legacy layout) writes, in its order: layer folders, the config, manifest.json. */
function savedImage(bigLayer: Buffer): TarEntry[] {
  return [
    dir("a".repeat(64)),
    file(`${"a".repeat(64)}/VERSION`, "1.0"),
    file(`${"a".repeat(64)}/json`, '{"id":"a"}'),
    file(LAYER_A, bigLayer),
    dir("b".repeat(64)),
    file(LAYER_B, layerBytes(5000, 2)),
    dir("c".repeat(64)),
    { name: LINKED, source: { kind: "symlink", target: `../${"b".repeat(64)}/layer.tar` }, mode: 0o777 },
    file(`${"d".repeat(64)}.json`, '{"rootfs":{"diff_ids":[]}}'),
    file("big-other.bin", layerBytes(3 << 20, 3)),
    file("manifest.json", '[{"Config":"d.json","RepoTags":null,"Layers":[]}]'),
  ];
}

interface Member {
  name: string;
  type: string;
  data: Buffer;
  linkpath?: string;
}

async function readMembers(path: string): Promise<Member[]> {
  const members: Member[] = [];
  const parser = new Parser({
    strict: true,
    onReadEntry: (entry: ReadEntry) => {
      const chunks: Buffer[] = [];
      entry.on("data", (c: Buffer) => chunks.push(c));
      entry.on("end", () =>
        members.push({
          name: entry.path,
          type: entry.type,
          data: Buffer.concat(chunks),
          ...(entry.linkpath ? { linkpath: entry.linkpath } : {}),
        }),
      );
    },
  });
  await pipeline(createReadStream(path), parser);
  return members;
}

let folder: string;
let source: string;
let work: string;
const big = layerBytes(2 * PIECE_BYTES + 12345, 1);

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), "mlx-compress-"));
  source = join(folder, "saved.tar");
  work = join(folder, "work");
  await mkdir(work);
  await pipeline(tarStreamOf(savedImage(big), 1_700_000_000), createWriteStream(source));
});
afterEach(() => rm(folder, { recursive: true, force: true }));

describe("compressImageArchive: each layer gzip-compressed, the rest as it was", () => {
  it("gives layers that decompress to the original bytes, and a smaller archive", async () => {
    const result = await compressImageArchive(source, join(folder, "out.tar"), { workDir: work });
    const byName = new Map((await readMembers(join(folder, "out.tar"))).map((m) => [m.name, m]));
    const a = byName.get(LAYER_A)!.data;
    expect(a.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(a).equals(big)).toBe(true);
    expect(gunzipSync(byName.get(LAYER_B)!.data).equals(layerBytes(5000, 2))).toBe(true);
    expect(result).toMatchObject({ layers: 2, layerBytes: big.length + 5000 });
    expect(result.compressedBytes).toBeLessThan(0.7 * result.layerBytes);
    expect(result.sizeBytes).toBeLessThan((await stat(source)).size - 0.3 * result.layerBytes);
  });

  it("cuts a layer into gzip members of PIECE_BYTES each, so they compress in parallel", async () => {
    await compressImageArchive(source, join(folder, "out.tar"), { workDir: work });
    const a = (await readMembers(join(folder, "out.tar"))).find((m) => m.name === LAYER_A)!.data;
    // Three members: each one decompresses on its own to its piece of the layer.
    const first = gzipSync(big.subarray(0, PIECE_BYTES), { level: 1 });
    expect(a.subarray(0, first.length).equals(first)).toBe(true);
    expect(gunzipSync(first).equals(big.subarray(0, PIECE_BYTES))).toBe(true);
  });

  it("keeps every other member's content, name, type and order", async () => {
    await compressImageArchive(source, join(folder, "out.tar"), { workDir: work });
    const before = await readMembers(source);
    const after = await readMembers(join(folder, "out.tar"));
    expect(after.map((m) => [m.name, m.type, m.linkpath])).toEqual(before.map((m) => [m.name, m.type, m.linkpath]));
    for (const [i, m] of before.entries()) if (m.name !== LAYER_A && m.name !== LAYER_B) expect(after[i]!.data.equals(m.data)).toBe(true);
  });

  it("is deterministic: the same source gives the same bytes, whatever the concurrency", async () => {
    await compressImageArchive(source, join(folder, "one.tar"), { workDir: work, concurrency: 1 });
    await compressImageArchive(source, join(folder, "two.tar"), { workDir: work, concurrency: 4 });
    expect((await readFile(join(folder, "one.tar"))).equals(await readFile(join(folder, "two.tar")))).toBe(true);
    expect(await readdir(work)).toEqual([]); // the pieces were removed as they were copied
  });

  it("stores a layer that is compressed already as it is (the engine decompresses once)", async () => {
    const zipped = gzipSync(layerBytes(10000, 4));
    await pipeline(tarStreamOf([file(LAYER_A, zipped), file("manifest.json", "[]")], 0), createWriteStream(source));
    const result = await compressImageArchive(source, join(folder, "out.tar"), { workDir: work });
    expect((await readMembers(join(folder, "out.tar")))[0]!.data.equals(zipped)).toBe(true);
    expect(result.layers).toBe(0);
  });

  it("leaves the blobs of an OCI layout as they are: they are named by their digest", async () => {
    const blob = `blobs/sha256/${"e".repeat(64)}`;
    const entries = [file(blob, layerBytes(3 << 20, 5)), file("index.json", "{}"), file("manifest.json", "[]"), file("oci-layout", "{}")];
    await pipeline(tarStreamOf(entries, 0), createWriteStream(source));
    const result = await compressImageArchive(source, join(folder, "out.tar"), { workDir: work });
    expect(result).toMatchObject({ layers: 0, blobs: 1 });
    expect((await readMembers(join(folder, "out.tar")))[0]!.data.equals(layerBytes(3 << 20, 5))).toBe(true);
  });

  it("refuses a truncated archive with an environment error and leaves no output", async () => {
    await truncate(source, 3 * 512 + PIECE_BYTES);
    const error = await compressImageArchive(source, join(folder, "out.tar"), { workDir: work }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(String(error)).toMatch(/could not be compressed/);
    expect(existsSync(join(folder, "out.tar"))).toBe(false);
  });

  it("refuses what is not a tar at all", async () => {
    await writeFile(source, Buffer.alloc(4096, 0x41));
    const error = await compressImageArchive(source, join(folder, "out.tar"), { workDir: work }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvironmentError);
    expect(existsSync(join(folder, "out.tar"))).toBe(false);
  });
});
