import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { checkImageArchive, smallFilesCollector } from "./image-archive.js";
import { type TarEntry, tarStreamOf } from "./tar-writer.js";

const config = Buffer.from('{"architecture":"amd64"}');
const hex = createHash("sha256").update(config).digest("hex");
const id = `sha256:${hex}`;
const manifest = (extra: object = {}): Buffer =>
  Buffer.from(JSON.stringify([{ Config: `${hex}.json`, RepoTags: null, Layers: [], ...extra }]));
const link = (name: string, target: string): TarEntry => ({ name, source: { kind: "symlink", target }, mode: 0o777 });
const file = (name: string, data: Buffer | string): TarEntry => ({ name, source: { kind: "data", data: Buffer.from(data) }, mode: 0o644 });

/** Streams `entries` as a tar through the collector replay uses, then checks the result. */
async function check(entries: readonly TarEntry[]): Promise<{ repoTags: string[] }> {
  const { parser, files } = smallFilesCollector();
  for await (const chunk of tarStreamOf(entries, 0)) parser.write(chunk as Buffer);
  await new Promise<void>((resolve) => parser.end(resolve));
  return checkImageArchive(files, id);
}

const padded = (m: Buffer): Buffer => Buffer.concat([m, Buffer.alloc(5 * 1024 * 1024, 0x20)]);

describe("checkImageArchive: exactly one manifest, describing exactly the bundle's image", () => {
  it("accepts what docker save by id writes", async () => {
    expect(await check([file(`${hex}.json`, config), file("manifest.json", manifest())])).toEqual({ repoTags: [] });
  });

  it("accepts docker save's own layer links (a layer stored once, named again)", async () => {
    const other = "a".repeat(64);
    const entries = [file(`${hex}.json`, config), file("manifest.json", manifest()), link(`${hex}/layer.tar`, `../${other}/layer.tar`)];
    expect(await check(entries)).toEqual({ repoTags: [] });
  });

  it("returns RepoTags for the caller to strip", async () => {
    expect(await check([file(`${hex}.json`, config), file("manifest.json", manifest({ RepoTags: ["a:b"] }))])).toEqual({
      repoTags: ["a:b"],
    });
  });

  it.each([
    [
      "a second manifest.json over 4 MiB (the engine keeps the last)",
      [file("manifest.json", padded(manifest({ RepoTags: ["victim:latest"] })))],
      /2 members named "manifest.json"/,
    ],
    ["a second small manifest.json", [file("manifest.json", manifest())], /2 members named "manifest.json"/],
    [
      "a link to its own folder with a manifest.json behind it (the engine extracts through the link)",
      [link("evil", "."), file("evil/manifest.json", manifest({ RepoTags: ["victim:latest"] }))],
      /SymbolicLink member "evil" -> "."/,
    ],
    ["a layer link that points anywhere but another layer", [link(`${hex}/layer.tar`, "/etc/passwd")], /SymbolicLink member/],
    [
      "a member below a layer link",
      [link(`${hex}/layer.tar`, `../${"a".repeat(64)}/layer.tar`), file(`${hex}/layer.tar/x`, "x")],
      /below the link/,
    ],
    ["a second manifest.json spelled ./manifest.json", [file("./manifest.json", manifest())], /2 members named "manifest.json"/],
    ["a second config of the same name", [file(`${hex}.json`, "{}")], /2 members named/],
    ["a repositories file naming a tag", [file("repositories", '{"victim":{"latest":"abc"}}')], /repositories file names images/],
    [
      "an OCI index naming an image",
      [file("index.json", '{"manifests":[{"annotations":{"io.containerd.image.name":"victim:latest"}}]}')],
      /index.json names images/,
    ],
  ] as Array<[string, TarEntry[], RegExp]>)("refuses %s", async (_, extra, message) => {
    const error = await check([file(`${hex}.json`, config), file("manifest.json", manifest()), ...extra]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as BadInputError).message).toMatch(message);
  });

  it.each([
    ["two images", Buffer.from(JSON.stringify([{ Config: `${hex}.json` }, { Config: `${hex}.json` }])), /holds 2 images/],
    [
      "another image's config",
      Buffer.from(JSON.stringify([{ Config: "other.json" }])),
      /holds image sha256:[0-9a-f]{64}, but the bundle names/,
    ],
  ])("refuses a manifest with %s", async (_, m, message) => {
    const error = await check([file(`${hex}.json`, config), file("other.json", "{}"), file("manifest.json", m)]).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(message);
  });

  it("accepts an empty repositories file", async () => {
    expect(await check([file(`${hex}.json`, config), file("manifest.json", manifest()), file("repositories", "{}")])).toEqual({
      repoTags: [],
    });
  });
});
