import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GrowingFileDigest } from "./growing-file-digest.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-growing-digest-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

describe("GrowingFileDigest", () => {
  it("hashes a file as it is appended to, and gives the sha256 of the whole once told its final size", async () => {
    const path = join(dir, "growing.bin");
    writeFileSync(path, "");
    const digest = new GrowingFileDigest(path);
    const parts = [randomBytes(100), randomBytes(9 << 20), randomBytes(5 << 20), randomBytes(12345)];
    let size = 0;
    for (const part of parts) {
      appendFileSync(path, part);
      size += part.length;
      digest.advance(size);
    }
    expect(await digest.digest(size)).toBe(sha256(Buffer.concat(parts)));
  });

  it("fails, saying where, when the file is shorter than the size it was told", async () => {
    const path = join(dir, "short.bin");
    writeFileSync(path, "four");
    await expect(new GrowingFileDigest(path).digest(10)).rejects.toThrow(/ended at byte 4, before byte 10/);
  });
});
