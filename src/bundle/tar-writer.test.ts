import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { list } from "tar";
import { afterAll, describe, expect, it } from "vitest";
import { MemberChangedError, type TarEntry, TarWriter } from "./tar-writer.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-tarw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function write(name: string, entries: TarEntry[], mtime = 1_700_000_000): Promise<string> {
  const path = join(dir, name);
  const out = createWriteStream(path);
  const writer = new TarWriter(out, mtime);
  for (const e of entries) await writer.add(e);
  await writer.finish();
  await new Promise<void>((r) => out.end(() => r()));
  return path;
}

const longName = `deep/${"d".repeat(120)}/file-é.txt`;
const data = join(dir, "data.bin");
writeFileSync(data, Buffer.from(Array.from({ length: 1500 }, (_, i) => i % 256)));

const entries: TarEntry[] = [
  { name: "a.txt", source: { kind: "data", data: Buffer.from("hello\n") }, mode: 0o600 },
  { name: "bin/run.sh", source: { kind: "data", data: Buffer.from("#!/bin/sh\n") }, mode: 0o700 },
  { name: "data.bin", source: { kind: "file", path: data, sizeBytes: 1500 }, mode: 0o644 },
  { name: longName, source: { kind: "data", data: Buffer.from("long") }, mode: 0o644 },
  { name: "link", source: { kind: "symlink", target: "a.txt" }, mode: 0o777 },
];

describe("TarWriter", () => {
  it("writes an archive GNU tar lists with normalised owners, modes and one mtime", async () => {
    const path = await write("one.tar", entries);
    const listing = execFileSync("tar", ["-tvf", path, "--numeric-owner", "--full-time"], { encoding: "utf8" }).trim().split("\n");
    expect(listing).toHaveLength(5);
    expect(listing[0]).toMatch(/^-rw-r--r-- 0\/0 +6 2023-11-14 22:13:20 a\.txt$/);
    expect(listing[1]).toMatch(/^-rwxr-xr-x 0\/0 .* bin\/run\.sh$/);
    expect(listing[3]).toContain(longName);
    expect(listing[4]).toMatch(/^lrwxr-xr-x 0\/0 .* link -> a\.txt$/);
    const extracted = mkdtempSync(join(dir, "x-"));
    execFileSync("tar", ["-xf", path, "-C", extracted]);
    expect(readFileSync(join(extracted, "data.bin"))).toEqual(readFileSync(data));
    expect(readFileSync(join(extracted, longName), "utf8")).toBe("long");
  });

  it("is read by node-tar, with the pax path", async () => {
    const path = await write("two.tar", entries);
    const names: string[] = [];
    await list({ file: path, onReadEntry: (e) => void names.push(e.path) });
    expect(names).toEqual(["a.txt", "bin/run.sh", "data.bin", longName, "link"]);
  });

  it("gives the same bytes for the same members, whatever the host's clock or umask", async () => {
    const a = readFileSync(await write("a.tar", entries));
    process.umask(0o077);
    const b = readFileSync(await write("b.tar", entries));
    process.umask(0o022);
    expect(a.equals(b)).toBe(true);
  });

  it("stops on a file whose content differs from its recorded sha256, naming it", async () => {
    const bad: TarEntry = {
      name: "data.bin",
      source: { kind: "file", path: data, sizeBytes: 1500, expectSha256: "0".repeat(64) },
      mode: 0o644,
    };
    await expect(write("bad.tar", [bad])).rejects.toThrow(MemberChangedError);
    const short: TarEntry = { name: "data.bin", source: { kind: "file", path: data, sizeBytes: 1400 }, mode: 0o644 };
    await expect(write("short.tar", [short])).rejects.toThrow(/data\.bin changed/);
  });
});

describe("TarWriter.addAll", () => {
  const big = join(dir, "big.bin");
  writeFileSync(big, Buffer.alloc(3 << 20, 7)); // over the one-read limit: streamed
  const smalls = Array.from({ length: 40 }, (_, i) => {
    const path = join(dir, `small-${String(i).padStart(2, "0")}.txt`);
    writeFileSync(path, `file ${i}\n`.repeat(i * 50));
    return { name: `s/${i}`, source: { kind: "file" as const, path, sizeBytes: `file ${i}\n`.length * i * 50 }, mode: 0o644 };
  });
  const many: TarEntry[] = [
    ...entries,
    { name: "big.bin", source: { kind: "file", path: big, sizeBytes: 3 << 20 }, mode: 0o644 },
    ...smalls,
  ];

  async function collect(run: (writer: TarWriter) => Promise<unknown>): Promise<{ bytes: Buffer; result: unknown }> {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on("data", (c: Buffer) => parts.push(c));
    const result = await run(new TarWriter(out, 1_700_000_000));
    return { bytes: Buffer.concat(parts), result };
  }

  it("writes the same bytes as add() one by one, reading small files ahead, and returns each member's sha256", async () => {
    const one = await collect(async (w) => {
      const shas: string[] = [];
      for (const e of many) shas.push(await w.add(e));
      return shas;
    });
    const all = await collect((w) => w.addAll(many));
    expect(all.bytes.equals(one.bytes)).toBe(true);
    expect(all.result).toEqual(one.result);
    expect((all.result as string[])[5]).toBe(createHash("sha256").update(readFileSync(big)).digest("hex"));
  });

  it.each([
    ["grew", 10, /more than 10 bytes/],
    ["shrank", 99, /sha256 11 bytes, recorded 99 bytes/],
  ])("stops on a small file that %s since it was listed, naming it", async (_, sizeBytes, message) => {
    const path = join(dir, "eleven.txt");
    writeFileSync(path, "eleven byte");
    const changed: TarEntry = { name: "eleven.txt", source: { kind: "file", path, sizeBytes }, mode: 0o644 };
    const error: unknown = await collect((w) => w.addAll([entries[0]!, changed])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberChangedError);
    expect((error as MemberChangedError).member).toBe("eleven.txt");
    expect(String(error)).toMatch(message);
  });

  it("fails on a file that vanished in its turn, after the entries before it, even when read ahead", async () => {
    const gone: TarEntry = { name: "gone.txt", source: { kind: "file", path: join(dir, "no-such-file"), sizeBytes: 3 }, mode: 0o644 };
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on("data", (c: Buffer) => parts.push(c));
    const error: unknown = await new TarWriter(out, 0).addAll([...entries.slice(0, 2), gone]).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
    expect(Buffer.concat(parts).toString("latin1")).toContain("bin/run.sh");
  });
});

describe("TarWriter without member hashes (a build context)", () => {
  it("returns no sha256, yet still refuses a file that differs from its recorded one", async () => {
    const writer = new TarWriter(new PassThrough().resume(), 0, undefined, false);
    expect(await writer.add(entries[0]!)).toBe("");
    const bad: TarEntry = {
      name: "data.bin",
      source: { kind: "file", path: data, sizeBytes: 1500, expectSha256: "0".repeat(64) },
      mode: 0o644,
    };
    await expect(writer.add(bad)).rejects.toThrow(MemberChangedError);
  });
});
