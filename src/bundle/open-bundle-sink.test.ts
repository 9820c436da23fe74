import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { bundleManifest, runManifest } from "../../test/helpers/records.js";
import { BadInputError } from "../errors.js";
import type { BundleManifest } from "../record/types.js";
import { openBundle } from "./read-bundle.js";
import { type TarEntry, tarStreamOf } from "./tar-writer.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-open-sink-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = runManifest();
const record = Buffer.from(stringify(run));
const image = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // more than one chunk
const bundleYaml = bundleManifest(run, { file: "image.tar" });
const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const listed: Array<[string, Buffer]> = [
  ["bundle.yaml", Buffer.from(stringify(bundleYaml))],
  ["image.tar", image],
  [`records/runs/${run.id}/manifest.yaml`, record],
];
const file = (name: string, data: Buffer): TarEntry => ({ name, source: { kind: "data", data }, mode: 0o644 });
const sums = (members: ReadonlyArray<[string, Buffer]>): TarEntry =>
  file("SHA256SUMS", Buffer.from(members.map(([name, data]) => `${sha(data)}  ${name}\n`).join("")));

let n = 0;
async function craft(entries: readonly TarEntry[]): Promise<string> {
  const path = join(dir, `bundle-${n++}.tar`);
  await pipeline(tarStreamOf(entries, 0), createWriteStream(path));
  return path;
}

/** A sink that collects what it is given, after answering late (as an engine query would). */
function collectingSink(): {
  sink: (m: BundleManifest) => Promise<Writable>;
  asked: string[];
  bytes: () => Buffer;
  destroyed: () => boolean;
} {
  const chunks: Buffer[] = [];
  const asked: string[] = [];
  let out: Writable | undefined;
  return {
    asked,
    bytes: () => Buffer.concat(chunks),
    destroyed: () => out?.destroyed === true && !out.writableFinished,
    sink: async (manifest) => {
      asked.push(manifest.image.id);
      await new Promise((resolve) => setTimeout(resolve, 20));
      out = new Writable({ write: (chunk: Buffer, _encoding, done) => (chunks.push(chunk), done()) });
      return out;
    },
  };
}

describe("openBundle with an image sink: image.tar streamed during the one verifying pass", () => {
  it("gives image.tar's bytes to the sink instead of the folder when bundle.yaml came first, and verifies them", async () => {
    const c = collectingSink();
    const opened = await openBundle(await craft([...listed.map(([f, d]) => file(f, d)), sums(listed)]), dir, { image: c.sink });
    expect(c.asked).toEqual([bundleYaml.image.id]);
    expect(opened.imageExtracted).toBe(false);
    expect(existsSync(join(opened.folder, "image.tar"))).toBe(false);
    expect(c.bytes().equals(image)).toBe(true);
    expect(opened.sums.get("image.tar")).toBe(sha(image));
    // Every member after the one that waited was written whole.
    expect(opened.runs[0]!.id).toBe(run.id);
  });

  it("destroys the sink's stream and refuses the bundle when a streamed byte does not match SHA256SUMS", async () => {
    const c = collectingSink();
    const tampered = Buffer.from(image);
    tampered[1000] = 8;
    const entries = [file("bundle.yaml", listed[0]![1]), file("image.tar", tampered), file(listed[2]![0], record), sums(listed)];
    const error = await openBundle(await craft(entries), dir, { image: c.sink }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect((error as Error).message).toMatch(/image\.tar is corrupt/);
    expect(c.asked).toHaveLength(1); // it was streamed: only the caller's finish step may use it, and it never comes
  });

  it("extracts image.tar as before, never asking the sink, when bundle.yaml comes after it (a hand-made archive)", async () => {
    const c = collectingSink();
    const entries = [file("image.tar", image), file("bundle.yaml", listed[0]![1]), file(listed[2]![0], record), sums(listed)];
    const opened = await openBundle(await craft(entries), dir, { image: c.sink });
    expect(c.asked).toEqual([]);
    expect(opened.imageExtracted).toBe(true);
    expect(existsSync(join(opened.folder, "image.tar"))).toBe(true);
  });

  it("extracts image.tar when the sink declines (null)", async () => {
    const opened = await openBundle(await craft([...listed.map(([f, d]) => file(f, d)), sums(listed)]), dir, {
      image: async () => null,
    });
    expect(opened.imageExtracted).toBe(true);
    expect(existsSync(join(opened.folder, "image.tar"))).toBe(true);
  });

  it("stops the sink's stream at once when the pass is aborted mid-image", async () => {
    const stop = new AbortController();
    let out: Writable | undefined;
    const sink = async (): Promise<Writable> => {
      out = new Writable({
        highWaterMark: 1024,
        write: (_chunk, _encoding, done) => {
          stop.abort(new Error("Ctrl-C"));
          setTimeout(done, 5);
        },
      });
      return out;
    };
    const path = await craft([...listed.map(([f, d]) => file(f, d)), sums(listed)]);
    const error = await openBundle(path, dir, { image: sink, signal: stop.signal }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("Ctrl-C");
    expect(out?.destroyed).toBe(true);
    expect(out?.writableFinished).toBe(false);
  });
});
