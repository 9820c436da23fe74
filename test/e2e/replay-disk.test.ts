import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { runMlx, tempDir } from "../helpers/mlx.js";

const root = process.getuid?.() === 0;
if (!root) console.warn("\n*** SKIPPING replay disk tests: mounting a read-only or a small tmpfs folder needs root. ***\n");
const ready = root && dockerReady();

/** A plain tar of `files` (written in this order) at `tar`. */
function writeTar(tar: string, files: Record<string, Buffer | string>): void {
  const dir = `${tar}.d`;
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  execFileSync("tar", ["-cf", tar, "-C", dir, ...Object.keys(files)]);
}

describe.skipIf(!root)("where mlx replay writes (read-only media, a full disk)", () => {
  let work: Awaited<ReturnType<typeof tempDir>>;
  const mounts: string[] = [];

  /** Mounts (a remount adds no mount to undo), remembering what afterAll unmounts. */
  function mount(...args: string[]): void {
    execFileSync("mount", args);
    if (!args.some((a) => a.startsWith("remount"))) mounts.push(args.at(-1)!);
  }

  beforeAll(async () => {
    work = await tempDir("mlx-disk-");
  });
  afterAll(async () => {
    for (const target of mounts.reverse()) execFileSync("umount", [target]);
    await work?.[Symbol.asyncDispose]();
  });

  it("exits 3 naming the folder and --out when the bundle sits on read-only media (default --out beside it)", async () => {
    const media = join(work.path, "media");
    mkdirSync(media);
    writeTar(join(media, "bundle.tar"), { "bundle.yaml": "apiVersion: mlx/v1\n" });
    mount("--bind", media, media);
    mount("-o", "remount,bind,ro", media);
    const r = await runMlx(["replay", join(media, "bundle.tar")], { cwd: work.path });
    expect(r.exitCode, String(r.stderr)).toBe(3);
    expect(String(r.stderr)).toContain(`cannot write under ${media} (EROFS)`);
    expect(String(r.stderr)).toContain("--out DIR");
    expect(String(r.stderr)).not.toMatch(/internal error|\n\s+at /);
  });

  it.skipIf(!ready)("exits 3 on a full disk under --out and leaves nothing there", async () => {
    const small = join(work.path, "small");
    mkdirSync(small);
    mount("-t", "tmpfs", "-o", "size=20m", "tmpfs", small);
    const bundle = join(work.path, "big.tar");
    writeTar(bundle, { "data.bin": Buffer.alloc(30 * 1024 * 1024, 7), SHA256SUMS: "" });
    const r = await runMlx(["replay", bundle, "--out", join(small, "review")], { cwd: work.path });
    expect(r.exitCode, String(r.stderr)).toBe(3);
    expect(String(r.stderr)).toMatch(/cannot write under \S+small\/review \(ENOSPC\): no space left/);
    expect(String(r.stderr)).toContain("--out");
    expect(readdirSync(small)).toEqual([]);
    expect(execFileSync("df", ["--output=used", "-B1", small], { encoding: "utf8" }).split("\n")[1]!.trim()).toBe("0");
  });
});
