import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scrubFile } from "./scrub-logs.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-scrub-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scrubFile", () => {
  it.each([
    [
      "every occurrence of each secret",
      "key=FAKEkey1 again FAKEkey1 and FAKEpw22\n",
      ["FAKEkey1", "FAKEpw22"],
      "key=*** again *** and ***\n",
      3,
    ],
    ["nothing when no secret occurs", "epoch=1 loss=0.5\n", ["FAKEkey1"], "epoch=1 loss=0.5\n", 0],
    ["no secret shorter than 4 characters", "lr=0.1 a=abc\n", ["abc"], "lr=0.1 a=abc\n", 0],
  ])("replaces %s", (_name, text, secrets, expected, count) => {
    const path = join(dir, `log-${count}-${secrets.length}.txt`);
    writeFileSync(path, text);
    return scrubFile(path, secrets).then((n) => {
      expect(n).toBe(count);
      expect(readFileSync(path, "utf8")).toBe(expected);
    });
  });

  it("finds a secret cut across two reads of a large log", async () => {
    const path = join(dir, "big.log");
    const secret = "FAKE-secret-value-0123456789";
    const before = "x".repeat(64 * 1024 - 10); // the secret straddles the first 64 KiB read
    writeFileSync(path, `${before}${secret}\n${"y".repeat(200_000)}${secret}`);
    expect(await scrubFile(path, [secret])).toBe(2);
    const text = readFileSync(path, "utf8");
    expect(text).not.toContain(secret);
    expect(text).toBe(`${before}***\n${"y".repeat(200_000)}***`);
  });
});
