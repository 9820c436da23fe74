import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MemberChangedError, type TarEntry } from "./tar-writer.js";
import { writeBundle } from "./write-bundle.js";

const dir = mkdtempSync(join(tmpdir(), "mlx-write-bundle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");
const input = join(dir, "input.csv");
writeFileSync(input, "a,b\n1,2\n");

const members: TarEntry[] = [
  { name: "bundle.yaml", source: { kind: "data", data: Buffer.from("kind: Bundle\n") }, mode: 0o644 },
  { name: "context/app/run.sh", source: { kind: "data", data: Buffer.from("#!/bin/sh\n") }, mode: 0o755 },
  { name: "data/input.csv", source: { kind: "file", path: input, sizeBytes: 8, expectSha256: sha256("a,b\n1,2\n") }, mode: 0o644 },
];

function write(name: string, entries: readonly TarEntry[] = members, temps = new Set<string>()) {
  return writeBundle(join(dir, name), entries, { mtimeSeconds: 1_700_000_000, onBytes: () => undefined, temps });
}

const temps = (): string[] => readdirSync(dir).filter((f) => f.endsWith(".tmp"));

describe("writeBundle", () => {
  it("writes the members in order, then SHA256SUMS over each of them, and reports the archive's own sha256", async () => {
    const trackedTemps = new Set<string>();
    const written = await write("one.tar", members, trackedTemps);
    const bytes = readFileSync(written.path);
    expect(written).toEqual({ path: join(dir, "one.tar"), sizeBytes: bytes.length, sha256: sha256(bytes), members: 4 });
    const names = execFileSync("tar", ["-tf", written.path], { encoding: "utf8" }).trim().split("\n");
    expect(names).toEqual(["bundle.yaml", "context/app/run.sh", "data/input.csv", "SHA256SUMS"]);
    const sums = execFileSync("tar", ["-xOf", written.path, "SHA256SUMS"], { encoding: "utf8" });
    expect(sums).toBe(
      [
        `${sha256("kind: Bundle\n")}  bundle.yaml`,
        `${sha256("#!/bin/sh\n")}  context/app/run.sh`,
        `${sha256("a,b\n1,2\n")}  data/input.csv`,
        "",
      ].join("\n"),
    );
    expect(trackedTemps.size).toBe(0);
    expect(temps()).toEqual([]);
  });

  it("reports the sha256 of the whole archive for a bundle of many MiB, hashed beside the writing", async () => {
    const big = join(dir, "big.bin");
    writeFileSync(big, randomBytes(21 << 20));
    const smalls: TarEntry[] = Array.from({ length: 30 }, (_, i) => {
      const path = join(dir, `small-${i}.bin`);
      writeFileSync(path, randomBytes(i * 1000));
      return { name: `context/s${String(i).padStart(2, "0")}`, source: { kind: "file", path, sizeBytes: i * 1000 }, mode: 0o644 };
    });
    const bigEntry: TarEntry = { name: "image.tar", source: { kind: "file", path: big, sizeBytes: 21 << 20 }, mode: 0o644 };
    const written = await write("big.tar", [...members.slice(0, 1), ...smalls, bigEntry]);
    expect(written.sha256).toBe(sha256(readFileSync(written.path)));
    expect(written.sizeBytes).toBe(readFileSync(written.path).length);
    const sums = execFileSync("tar", ["-xOf", written.path, "SHA256SUMS"], { encoding: "utf8" });
    expect(sums).toContain(`${sha256(readFileSync(big))}  image.tar`);
  });

  it("gives the same bytes for the same members", async () => {
    const a = await write("a.tar");
    const b = await write("b.tar");
    expect(b.sha256).toBe(a.sha256);
  });

  it("replaces an existing file only once the new archive is complete", async () => {
    writeFileSync(join(dir, "old.tar"), "old");
    const written = await write("old.tar");
    expect(readFileSync(written.path).length).toBe(written.sizeBytes);
  });

  it.each([
    [
      "a file whose bytes changed",
      { kind: "file" as const, path: input, sizeBytes: 8, expectSha256: "0".repeat(64) },
      /sha256 .*, recorded 0{64}/,
    ],
    ["a file that grew", { kind: "file" as const, path: input, sizeBytes: 4 }, /more than 4 bytes/],
  ])("stops at %s with MemberChangedError, leaving no bundle and no temp file", async (_, source, message) => {
    const trackedTemps = new Set<string>();
    const bad: TarEntry[] = [...members.slice(0, 2), { name: "data/input.csv", source, mode: 0o644 }];
    const error: unknown = await write("changed.tar", bad, trackedTemps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MemberChangedError);
    expect((error as MemberChangedError).member).toBe("data/input.csv");
    expect(String(error)).toMatch(message);
    expect(readdirSync(dir)).not.toContain("changed.tar");
    expect(temps()).toEqual([]);
    expect(trackedTemps.size).toBe(0);
  });

  it("fails when the target's folder is missing, leaving nothing behind", async () => {
    const error: unknown = await write("missing/x.tar").catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).toBe("ENOENT");
  });
});
