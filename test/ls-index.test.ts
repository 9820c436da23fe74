// The run index beside the run folders: used when sound, mended when missing, stale or corrupt, never
// a reason to lose or hide a run. Real records in temp folders, written as capture writes them.
import { existsSync } from "node:fs";
import { appendFile, mkdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { planRemoval, removeRecords } from "../src/inspect/remove-records.js";
import { recordEntries } from "../src/pack/bundle-members.js";
import { resolveTarget } from "../src/pack/resolve-target.js";
import { readGroupSummaries } from "../src/record/group-summary.js";
import { createGroupFolder, writeGroup } from "../src/record/group-store.js";
import { runsFolder } from "../src/record/run-folder.js";
import { openRunIndex, parseIndex, runIndexPath } from "../src/record/run-index.js";
import { writeRun } from "../src/record/run-store.js";
import type { RunManifest } from "../src/record/types.js";
import { runMlx, tempDir } from "./helpers/mlx.js";
import { groupManifest, runManifest } from "./helpers/records.js";

let dir: { path: string } & AsyncDisposable;
let root: string;
beforeEach(async () => {
  dir = await tempDir("mlx-index-");
  root = dir.path;
});
afterEach(() => dir[Symbol.asyncDispose]());

const idOf = (i: number): string => `20261127-1000${String(i).padStart(2, "0")}-000-aaaaaa`;

/** Writes run i through writeRun, as capture, tag and the pruner do. */
async function capture(i: number, over: Partial<RunManifest> = {}): Promise<RunManifest> {
  const m = runManifest({ id: idOf(i), params: { lr: i / 10 }, ...over });
  await mkdir(join(runsFolder(root), m.id), { recursive: true });
  await writeRun(join(runsFolder(root), m.id), m);
  return m;
}

/** Writes a manifest without telling the index, as a hand edit or an older mlx would. */
async function writeBehindItsBack(m: RunManifest): Promise<void> {
  await mkdir(join(runsFolder(root), m.id), { recursive: true });
  await writeFile(join(runsFolder(root), m.id, "manifest.yaml"), stringify(m));
}

async function listed(): Promise<Array<{ id: string; status: string; tags: string[] }>> {
  const index = await openRunIndex(root);
  const rows = await index.fresh(await index.rows(index.ids));
  return rows.map((r) => ({ id: r.id, status: r.status, tags: r.tags }));
}

const indexText = (): Promise<string> => readFile(runIndexPath(root), "utf8");

describe("the run index", () => {
  it("gets one line per record write, and lists from it newest first", async () => {
    await capture(1);
    await capture(2, { tags: ["best"] });
    expect((await indexText()).trim().split("\n")).toHaveLength(2);
    expect(await listed()).toEqual([
      { id: idOf(2), status: "succeeded", tags: ["best"] },
      { id: idOf(1), status: "succeeded", tags: [] },
    ]);
  });

  it("filters from the index rows without reading the records: a row's content is what the index holds", async () => {
    await capture(1);
    // The line says a tag the record lacks, with the record's own key: the index is trusted as it stands.
    const text = await indexText();
    await writeFile(runIndexPath(root), text.replace('"tags":[]', '"tags":["from-the-index"]'));
    const index = await openRunIndex(root);
    expect((await index.fresh(await index.rows(index.ids)))[0]!.tags).toEqual(["from-the-index"]);
  });

  it("is not created where there are no runs: listing an empty folder writes nothing", async () => {
    expect((await openRunIndex(root)).ids).toEqual([]);
    expect(existsSync(join(root, ".mlx"))).toBe(false);
  });

  it("is rebuilt when missing: every run read from its folder, the file written whole", async () => {
    await capture(1);
    await capture(2);
    await rm(runIndexPath(root));
    expect((await listed()).map((r) => r.id)).toEqual([idOf(2), idOf(1)]);
    expect(parseIndex(await indexText()).lines.size).toBe(2);
  });

  it("lists a run the index lacks (added behind its back), and adds it", async () => {
    await capture(1);
    await writeBehindItsBack(runManifest({ id: idOf(2), tags: ["hand"] }));
    expect(await listed()).toEqual([
      { id: idOf(2), status: "succeeded", tags: ["hand"] },
      { id: idOf(1), status: "succeeded", tags: [] },
    ]);
    expect([...parseIndex(await indexText()).lines.keys()].sort()).toEqual([idOf(1), idOf(2)]);
  });

  it("never lists a run whose folder is gone, though its line stays", async () => {
    await capture(1);
    await capture(2);
    await rm(join(runsFolder(root), idOf(2)), { recursive: true });
    expect((await listed()).map((r) => r.id)).toEqual([idOf(1)]);
  });

  it("drops a removed run's lines when mlx rm removes it", async () => {
    await capture(1);
    await capture(2);
    await removeRecords(root, await planRemoval(root, [idOf(2)]));
    expect([...parseIndex(await indexText()).lines.keys()]).toEqual([idOf(1)]);
  });

  it("reads again a record edited since its line (size, mtime or inode differ)", async () => {
    const m = await capture(1);
    await writeBehindItsBack({ ...m, tags: ["edited"], status: "failed" });
    expect(await listed()).toEqual([{ id: idOf(1), status: "failed", tags: ["edited"] }]);
    // The fresh row was appended: the next reader's index row is right without reading the record.
    const index = await openRunIndex(root);
    expect((await index.rows(index.ids))[0]!.tags).toEqual(["edited"]);
  });

  it("survives garbage: every run listed right, the file rewritten without it", async () => {
    await capture(1);
    await appendFile(runIndexPath(root), 'this is not json\n{"v":1,"id":\n');
    const m2 = await capture(2);
    // A newer write of run 2 whose line was lost: the older line is checked against the record.
    await writeBehindItsBack({ ...m2, tags: ["newer"] });
    expect(await listed()).toEqual([
      { id: idOf(2), status: "succeeded", tags: ["newer"] },
      { id: idOf(1), status: "succeeded", tags: [] },
    ]);
    const after = parseIndex(await indexText());
    expect(after.garbage).toBe(0);
    expect(after.count).toBe(2);
  });

  it("leaves out a torn last line (a crash mid-write) and reads that run from its folder", async () => {
    await capture(1);
    await capture(2);
    const text = await indexText();
    await writeFile(runIndexPath(root), text.slice(0, -40));
    expect((await listed()).map((r) => r.id)).toEqual([idOf(2), idOf(1)]);
  });

  it("takes a torn line that a later append ran into for garbage, and rebuilds", async () => {
    const m1 = await capture(1);
    await writeFile(runIndexPath(root), (await indexText()).slice(0, -40));
    // The tag edit's line runs into the torn one: its own head is mid-line, so it is not found as run 1's.
    await writeRun(join(runsFolder(root), m1.id), { ...m1, tags: ["edited"] });
    expect(parseIndex(await indexText()).garbage).toBe(1);
    expect(await listed()).toEqual([{ id: idOf(1), status: "succeeded", tags: ["edited"] }]);
    expect(parseIndex(await indexText()).garbage).toBe(0);
  });

  it("reads from the folder a line whose head is sound but whose body is not", async () => {
    await capture(1);
    const text = await indexText();
    await writeFile(runIndexPath(root), text.replace('"row":{', '"row":{"broken'));
    expect(await listed()).toEqual([{ id: idOf(1), status: "succeeded", tags: [] }]);
  });

  it("is never written through a link in its place, and a folder in its place still lists every run", async () => {
    await capture(1);
    const outside = join(root, "outside.jsonl");
    await writeFile(outside, "");
    await rm(runIndexPath(root));
    await symlink(outside, runIndexPath(root));
    await capture(2);
    expect(await readFile(outside, "utf8")).toBe("");
    expect((await listed()).map((r) => r.id)).toEqual([idOf(2), idOf(1)]);
    await rm(runIndexPath(root), { force: true });
    await mkdir(runIndexPath(root));
    await capture(3);
    expect((await listed()).map((r) => r.id)).toEqual([idOf(3), idOf(2), idOf(1)]);
  });

  it("filters on the record as it is now: mlx ls --tag finds a tag written behind the index's back", async () => {
    const m = await capture(1);
    await writeBehindItsBack({ ...m, tags: ["hand"] });
    const r = await runMlx(["ls", "--tag", "hand", "--json"], { cwd: root });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect((JSON.parse(String(r.stdout)) as Array<{ id: string }>).map((x) => x.id)).toEqual([m.id]);
  });

  it("shows a record that fails validation as invalid, with the reason, as before the index", async () => {
    await capture(1);
    await writeBehindItsBack({ ...runManifest({ id: idOf(2) }), status: "nope" as never });
    await mkdir(join(runsFolder(root), idOf(3))); // a folder with no record at all
    const index = await openRunIndex(root);
    const rows = await index.fresh(await index.rows(index.ids));
    expect(rows.map((r) => [r.id, r.status])).toEqual([
      [idOf(3), "invalid"],
      [idOf(2), "invalid"],
      [idOf(1), "succeeded"],
    ]);
    expect(rows[1]!.problem).toMatch(/status/);
    // Once the record is written, it is read again: the key of "no record" no longer matches.
    await capture(3);
    expect((await listed())[0]).toEqual({ id: idOf(3), status: "succeeded", tags: [] });
  });

  it("lists a running run whose capture died as abandoned, from the pid on its line", async () => {
    await capture(1, { status: "running", command: { argv: ["x"], redactedArgs: [], shell: false, cwd: ".", pid: 2 ** 22 + 7 } });
    await capture(2, { status: "running", command: { argv: ["x"], redactedArgs: [], shell: false, cwd: ".", pid: process.pid } });
    expect((await listed()).map((r) => r.status)).toEqual(["running", "abandoned"]);
  });

  it("rewrites itself compactly once dead lines outnumber live ones", async () => {
    const m = await capture(1);
    for (let i = 0; i < 120; i++) await writeRun(join(runsFolder(root), m.id), { ...m, tags: [`t${i}`] });
    expect(parseIndex(await indexText()).count).toBe(121);
    expect(await listed()).toEqual([{ id: idOf(1), status: "succeeded", tags: ["t119"] }]);
    expect(parseIndex(await indexText()).count).toBe(1);
  });
});

describe("group summaries for mlx ls", () => {
  it("are read once, kept, and read again when the group's folder changes", async () => {
    const g = { ...groupManifest([0.5, 0.9], 1), id: "20261127-100000-000-group" };
    const folder = await createGroupFolder(root, g.id);
    await writeGroup(folder, g);
    const [first] = await readGroupSummaries(root, [g.id], [g.id]);
    expect(first).toMatchObject({ id: g.id, status: "succeeded", done: 2, total: 2, objective: g.spec.metric.name });
    expect(JSON.parse(await readFile(join(root, ".mlx", "index", "groups.json"), "utf8")).groups[g.id].summary.done).toBe(2);
    await writeGroup(folder, { ...g, status: "interrupted" });
    expect((await readGroupSummaries(root, [g.id]))[0]!.status).toBe("interrupted");
    await writeFile(join(root, ".mlx", "index", "groups.json"), "{garbage");
    expect((await readGroupSummaries(root, [g.id]))[0]!.status).toBe("interrupted");
  });

  it("show an unreadable group as invalid with the reason", async () => {
    const folder = await createGroupFolder(root, "20261127-100000-000-bad");
    await writeFile(join(folder, "group.yaml"), "kind: Group\n");
    const [s] = await readGroupSummaries(root, ["20261127-100000-000-bad"]);
    expect(s).toMatchObject({ status: "invalid", name: null });
    expect(s!.problem).toBeTruthy();
  });
});

describe("a bundle's records", () => {
  it("never include the index: pack takes records/runs/<id> only", async () => {
    await capture(1);
    await openRunIndex(root);
    await readGroupSummaries(root, []);
    const entries = await recordEntries(root, await resolveTarget(root, idOf(1)));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e.name).toMatch(new RegExp(`^records/runs/${idOf(1)}/`));
      expect(JSON.stringify(e.source)).not.toMatch(/\.mlx\/index\/|runs\.jsonl|groups\.json/);
    }
  });
});
