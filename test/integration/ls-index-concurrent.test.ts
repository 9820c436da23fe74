// The run index under processes writing at once: two real captures finishing together, and many
// appends racing the rewrites that compact the index. No line may be lost: after the writers, every run's
// newest line must match its record as it stands, without any reader having mended it since.
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { compactRunIndex, openRunIndex, parseIndex, runIndexPath } from "../../src/record/run-index.js";
import { runsFolder } from "../../src/record/run-folder.js";
import { FIXTURES, runMlx, tempDir } from "../helpers/mlx.js";

/** Each run folder's newest index line, checked against its manifest's size, mtime and inode. */
async function staleOrMissing(root: string): Promise<string[]> {
  const { lines } = parseIndex(await readFile(runIndexPath(root), "utf8"));
  const bad: string[] = [];
  for (const id of await readdir(runsFolder(root))) {
    const line = lines.get(id);
    const s = await stat(join(runsFolder(root), id, "manifest.yaml"));
    const head = line === undefined ? null : (JSON.parse(line) as { size: number; mtimeMs: number; ino: number });
    if (head === null || head.size !== s.size || head.mtimeMs !== s.mtimeMs || head.ino !== s.ino) bad.push(id);
  }
  return bad;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("the run index with writers at once", () => {
  it("keeps both of two real captures that finish at the same moment", async () => {
    await using dir = await tempDir("mlx-index-two-");
    // Both commands wait for one file, so they end within milliseconds of each other.
    const wait = "const fs=require('fs');const t=setInterval(()=>{if(fs.existsSync('go'))clearInterval(t)},2)";
    const captures = [1, 2].map((i) => runMlx(["capture", "--name", `c${i}`, "--", "node", "-e", wait], { cwd: dir.path }));
    for (let tries = 0; ; tries++) {
      const ids = await readdir(runsFolder(dir.path)).catch(() => []);
      const started = await Promise.all(ids.map((id) => stat(join(runsFolder(dir.path), id, "manifest.yaml")).catch(() => null)));
      if (ids.length === 2 && started.every((s) => s !== null)) break;
      expect(tries).toBeLessThan(600);
      await sleep(50);
    }
    await writeFile(join(dir.path, "go"), "");
    for (const r of await Promise.all(captures)) expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(await staleOrMissing(dir.path)).toEqual([]);
    const ls = await runMlx(["ls", "--json"], { cwd: dir.path });
    const rows = JSON.parse(String(ls.stdout)) as Array<{ name: string; status: string }>;
    expect(rows.map((r) => [r.name, r.status]).sort()).toEqual([
      ["c1", "succeeded"],
      ["c2", "succeeded"],
    ]);
  }, 60_000);

  it("loses no line when many appends race the rewrites that compact the index", async () => {
    await using dir = await tempDir("mlx-index-race-");
    const writers = [0, 1, 2, 3].map((w) =>
      execa("node", [join(FIXTURES, "index", "write-runs.mjs"), dir.path, String(w * 100), "40"], { reject: false }),
    );
    let done = false;
    const finished = Promise.all(writers).finally(() => (done = true));
    let repairs = 0;
    while (!done) {
      // Compacting replaces the whole file, keeping the lines it read as they are (as `mlx rm` does):
      // a writer's line lost in that replacement would stay lost, and stale.
      await compactRunIndex(dir.path);
      repairs++;
    }
    for (const r of await finished) expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(repairs).toBeGreaterThan(1);
    expect((await readdir(runsFolder(dir.path))).length).toBe(160);
    expect(await staleOrMissing(dir.path)).toEqual([]);
    const index = await openRunIndex(dir.path);
    const rows = await index.fresh(await index.rows(index.ids));
    expect(rows.filter((r) => r.status === "succeeded" && r.tags.includes("done"))).toHaveLength(160);
  }, 120_000);
});
