import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CODE_CACHE_SUFFIX, codeCacheFor, loadValidatorFile } from "./validate.js";

type Check = (data: unknown) => boolean;
const ONE = "module.exports = (d) => d === 1;";
const TWO = "module.exports = (d) => d === 2;"; // the same length as ONE: V8 alone cannot tell their caches apart
const sha256 = (text: string): Buffer => createHash("sha256").update(text).digest();

describe("validators loaded with their V8 code cache", () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlx-vcache-"));
    file = join(dir, "v.cjs");
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Writes `source` and the code cache the build would make for it; returns the cache's bytes. */
  async function cacheFor(source: string): Promise<Buffer> {
    await writeFile(file, source);
    const loaded = loadValidatorFile(file);
    (loaded.exports as Check)(0);
    const cache = codeCacheFor(loaded.script, source);
    await writeFile(file + CODE_CACHE_SUFFIX, cache);
    return cache;
  }

  it("loads a CommonJS validator without a cache", async () => {
    await writeFile(file, ONE);
    const check = loadValidatorFile(file).exports as Check;
    expect([check(1), check(2)]).toEqual([true, false]);
  });

  it("hands V8 the cache whose digest matches the source (V8 then runs the cached code)", async () => {
    // Proof that the cache is used: V8 data made from ONE, labelled with TWO's digest, runs ONE's code.
    const fromOne = await cacheFor(ONE);
    await writeFile(file, TWO);
    await writeFile(file + CODE_CACHE_SUFFIX, Buffer.concat([sha256(TWO), fromOne.subarray(32)])); // V8's data and its digest kept
    const check = loadValidatorFile(file).exports as Check;
    expect([check(1), check(2)]).toEqual([true, false]);
  });

  it("never offers a cache made from other source, even of the same length", async () => {
    await cacheFor(ONE);
    await writeFile(file, TWO);
    const check = loadValidatorFile(file).exports as Check;
    expect([check(1), check(2)]).toEqual([false, true]);
  });

  it("validates by the source when the cache's V8 data is damaged, garbage, or cut short", async () => {
    const cache = await cacheFor(ONE);
    // One flipped byte of V8's data, both digests intact in front of it: V8 would run (and crash on) it.
    const flipped = Buffer.from(cache);
    flipped[64 + 100] = flipped[64 + 100]! ^ 0xff;
    for (const broken of [flipped, Buffer.from(cache).fill(7, 32), cache.subarray(0, 32), cache.subarray(0, 10)]) {
      await writeFile(file + CODE_CACHE_SUFFIX, broken);
      const check = loadValidatorFile(file).exports as Check;
      expect([check(1), check(2)]).toEqual([true, false]);
    }
  });

  const built = new URL("../../dist/record/validators/run.cjs", import.meta.url).pathname;
  it.skipIf(!existsSync(built))("the build writes the run validator's cache for its very source", async () => {
    const cache = await readFile(built + CODE_CACHE_SUFFIX);
    expect(cache.subarray(0, 32).equals(sha256(readFileSync(built, "utf8")))).toBe(true);
    expect(cache.length).toBeGreaterThan(10_000);
    const exports = loadValidatorFile(built).exports as { default?: Check } & Check;
    expect((exports.default ?? exports)({})).toBe(false);
  });
});
