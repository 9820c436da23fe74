import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashPath } from "../primitives/hash-paths.js";
import type { HashedFile } from "../record/types.js";
import { compareOutputs, sameFolder } from "./compare-outputs.js";
import { runManifest } from "../../test/helpers/records.js";

const f = (path: string, sha256: string): HashedFile => ({ path, sizeBytes: 1, sha256 });

describe("sameFolder", () => {
  it.each([
    ["the same files under another prefix", [f("out/a", "1"), f("out/b/c", "2")], [f("x/a", "1"), f("x/b/c", "2")], "out", "x", true],
    ["two empty folders", [], [], "out", "x", true],
    ["a file whose content differs", [f("out/a", "1")], [f("x/a", "9")], "out", "x", false],
    ["a file under another name", [f("out/a", "1")], [f("x/b", "1")], "out", "x", false],
    ["one file more", [f("out/a", "1")], [f("x/a", "1"), f("x/b", "2")], "out", "x", false],
    ["a list on one side only", undefined, [f("x/a", "1")], "out", "x", false],
    ["no lists (files, not folders)", undefined, undefined, "out", "x", false],
  ] as const)("%s: %s", (_name, a, b, prefixA, prefixB, expected) => {
    expect(sameFolder(a, b, prefixA, prefixB)).toBe(expected);
  });
});

describe("compareOutputs", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlx-outputs-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("says same, different, missing or unsafe, never following a planted link", async () => {
    const original = join(dir, "original");
    const replay = join(dir, "replay");
    await mkdir(join(original, "model"), { recursive: true });
    await writeFile(join(original, "model", "w.bin"), "weights");
    await writeFile(join(original, "score.txt"), "0.9");
    await writeFile(join(original, "log.txt"), "ok");
    const recorded = await Promise.all(
      ["model", "score.txt", "log.txt", "gone.txt", "link.txt", "tricky"].map(async (p) => {
        if (p === "gone.txt" || p === "link.txt" || p === "tricky")
          return { path: p, kind: "file" as const, sizeBytes: 0, sha256: "0".repeat(64) };
        return hashPath(original, p);
      }),
    );
    await mkdir(join(replay, "model-copy"), { recursive: true });
    await writeFile(join(replay, "model-copy", "w.bin"), "weights");
    await writeFile(join(replay, "score.txt"), "0.8");
    await writeFile(join(replay, "log.txt"), "ok");
    await symlink("/etc/passwd", join(replay, "link.txt"));
    await mkdir(join(replay, "tricky"));
    await symlink("/etc/shadow", join(replay, "tricky", "inside"));
    const hosts = new Map(recorded.map((o) => [o.path, join(replay, o.path === "model" ? "model-copy" : o.path)]));

    const rows = await compareOutputs(runManifest({ outputs: recorded }), hosts, 1024);
    expect(rows.map((r) => [r.path, r.verdict, r.reason])).toEqual([
      ["model", "same", undefined],
      ["score.txt", "different", undefined],
      ["log.txt", "same", undefined],
      ["gone.txt", "missing", undefined],
      ["link.txt", "unsafe", "not regular files, never read: (the output itself)"],
      ["tricky", "unsafe", "not regular files, never read: inside"],
    ]);
    expect(rows.find((r) => r.path === "score.txt")!.replay).toMatch(/^[0-9a-f]{64}$/);
  });

  it("never reads a FIFO output (no hang) nor a file output over the cap", { timeout: 3000 }, async () => {
    const replay = join(dir, "capped");
    await mkdir(replay, { recursive: true });
    execFileSync("mkfifo", [join(replay, "pipe")]);
    await writeFile(join(replay, "big.bin"), "x".repeat(2000));
    const recorded = ["pipe", "big.bin"].map((p) => ({ path: p, kind: "file" as const, sizeBytes: 1, sha256: "0".repeat(64) }));
    const hosts = new Map(recorded.map((o) => [o.path, join(replay, o.path)]));
    const rows = await compareOutputs(runManifest({ outputs: recorded }), hosts, 1024);
    expect(rows.map((r) => [r.path, r.verdict, r.reason])).toEqual([
      ["pipe", "unsafe", "not regular files, never read: (the output itself)"],
      ["big.bin", "unsafe", "is larger than 1024 bytes (2000): not read"],
    ]);
  });
});
