import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileSink } from "./file-sink.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-file-sink-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chunks = [...Array.from({ length: 40 }, (_, i) => randomBytes(1000 + i * 777)), Buffer.alloc(0), randomBytes(10)];
const whole = Buffer.concat(chunks);

async function writeAll(sink: FileSink, parts: readonly Buffer[]): Promise<void> {
  for (const part of parts) if (!sink.write(part)) await new Promise((resolve) => sink.once("drain", resolve));
  await sink.close();
}

describe("FileSink", () => {
  it("writes every chunk in order, reporting each new size, and resolves close() once the file is whole", async () => {
    const sizes: number[] = [];
    const path = join(dir, "whole.bin");
    const sink = await FileSink.create(path, { highWaterMark: 4096, flushEveryBytes: Infinity, onWritten: (n) => sizes.push(n) });
    await writeAll(sink, chunks);
    expect(readFileSync(path).equals(whole)).toBe(true);
    expect(sink.sizeBytes).toBe(whole.length);
    expect(sizes.at(-1)).toBe(whole.length);
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(sink.flushesStarted).toBe(0);
  });

  it("writes the file back to disk as it grows, every flushEveryBytes, without losing or reordering a byte", async () => {
    const path = join(dir, "flushed.bin");
    const sink = await FileSink.create(path, { highWaterMark: 4096, flushEveryBytes: 16 << 10 });
    await writeAll(sink, chunks);
    expect(sink.flushesStarted).toBeGreaterThan(1);
    expect(createHash("sha256").update(readFileSync(path)).digest("hex")).toBe(createHash("sha256").update(whole).digest("hex"));
  });

  it("never replaces an existing file", async () => {
    const path = join(dir, "taken.bin");
    writeFileSync(path, "mine");
    const error: unknown = await FileSink.create(path, { highWaterMark: 4096, flushEveryBytes: Infinity }).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("EEXIST");
    expect(readFileSync(path, "utf8")).toBe("mine");
  });
});
