import { spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { groupManifest } from "../../test/helpers/records.js";
import { BadInputError } from "../errors.js";
import { JOURNAL_FILE, type JournalEntry, mergeGroupJournal, openGroupJournal, parseGroupJournal } from "./group-journal.js";
import { readGroup, writeGroup } from "./group-store.js";
import type { GroupManifest, GroupTrial } from "./types.js";

const GROUP = groupManifest([null], null).id;

/** A search that has just started: three trials, all pending. */
function started(over: Partial<GroupManifest> = {}): GroupManifest {
  const g = groupManifest([null, null, null], null);
  return {
    ...g,
    status: "running",
    trials: g.trials.map((t) => ({ ...t, runId: null, status: "pending", exitCode: null, metric: null })),
    ...over,
  };
}

const trial = (index: number, over: Partial<GroupTrial> = {}): GroupTrial => ({
  index,
  runId: `run-${index}`,
  seed: index,
  params: { x: index },
  status: "succeeded",
  exitCode: 0,
  metric: index / 10,
  ...over,
});

const line = (entry: JournalEntry): string => JSON.stringify(entry) + "\n";

async function tempFolder(): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), "mlx-journal-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

describe("parseGroupJournal", () => {
  it("reads one entry a line and leaves out a last line the search was killed while writing", () => {
    const text =
      line({ group: GROUP, trial: trial(0), best: null }) + line({ group: GROUP, trial: trial(1), best: null }) + '{"trial":{"index":2,"ru';
    expect(parseGroupJournal(text, "j").map((e) => e.trial.index)).toEqual([0, 1]);
    expect(parseGroupJournal("", "j")).toEqual([]);
  });

  it("refuses a line in the middle that is not a trial entry, naming the file and the line", () => {
    for (const bad of ["{not json", "[1,2]", '{"best":null}', "null"]) {
      const text = line({ group: GROUP, trial: trial(0), best: null }) + bad + "\n" + line({ group: GROUP, trial: trial(1), best: null });
      expect(() => parseGroupJournal(text, "g/trials.jsonl")).toThrow(BadInputError);
      expect(() => parseGroupJournal(text, "g/trials.jsonl")).toThrow(/g\/trials\.jsonl: line 2 is /);
    }
  });
});

describe("mergeGroupJournal", () => {
  it("applies entries in order: the last state of each trial, the last best, every warning, each node's trials", () => {
    const merged = mergeGroupJournal(
      started({ nodes: { n1: [0] } }),
      [
        { group: GROUP, trial: trial(0, { status: "running", runId: "run-0", metric: null, exitCode: null }), best: null },
        { group: GROUP, trial: trial(1, { status: "running", metric: null, exitCode: null }), best: null },
        { group: GROUP, trial: trial(0), best: { index: 0, runId: "run-0", metric: 0 }, nodes: ["n1"], warnings: ["w0"] },
        { group: GROUP, trial: trial(1), best: { index: 1, runId: "run-1", metric: 0.1 }, nodes: ["n2"], warnings: ["w1", "w2"] },
      ],
      "j",
    );
    expect(merged.trials.map((t) => t.status)).toEqual(["succeeded", "succeeded", "pending"]);
    expect(merged.best).toEqual({ index: 1, runId: "run-1", metric: 0.1 });
    expect(merged.warnings).toEqual(["w0", "w1", "w2"]);
    expect(merged.nodes).toEqual({ n1: [0, 0], n2: [1] });
    expect(merged.status).toBe("running");
  });

  it("refuses an entry of another group: a journal copied in from elsewhere is never merged", () => {
    expect(() => mergeGroupJournal(started(), [{ group: "other", trial: trial(0), best: null }], "j")).toThrow(
      /line 1 is an entry of group "other"/,
    );
  });

  it("refuses an entry for a trial the group does not have", () => {
    expect(() => mergeGroupJournal(started(), [{ group: GROUP, trial: trial(3), best: null }], "j")).toThrow(
      /line 1 is no trial 3 in the group/,
    );
  });
});

describe("readGroup with a journal", () => {
  it("reads a running search as group.yaml with its journal applied, validated", async () => {
    await using dir = await tempFolder();
    await writeGroup(dir.path, started());
    writeFileSync(join(dir.path, JOURNAL_FILE), line({ group: GROUP, trial: trial(2), best: { index: 2, runId: "run-2", metric: 0.2 } }));
    const g = await readGroup(dir.path);
    expect(g.trials.map((t) => t.status)).toEqual(["pending", "pending", "succeeded"]);
    expect(g.best?.index).toBe(2);
    appendFileSync(join(dir.path, JOURNAL_FILE), line({ group: GROUP, trial: trial(1, { status: "bogus" as "failed" }), best: null }));
    await expect(readGroup(dir.path)).rejects.toThrow(/trials\.jsonl/);
  });

  it("ignores a journal left beside a group.yaml written whole at the end", async () => {
    await using dir = await tempFolder();
    const done = groupManifest([0.5, 0.7, 0.1], 1);
    await writeGroup(dir.path, done);
    writeFileSync(join(dir.path, JOURNAL_FILE), line({ group: GROUP, trial: trial(0, { status: "failed" }), best: null }));
    expect(await readGroup(dir.path)).toEqual(done);
  });

  it("reads a search whose process is gone as interrupted, its running trials too; a live one as running", async () => {
    await using dir = await tempFolder();
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    await writeGroup(dir.path, started({ pid: dead, host: hostname() }));
    writeFileSync(
      join(dir.path, JOURNAL_FILE),
      line({ group: GROUP, trial: trial(0, { status: "running", exitCode: null, metric: null }), best: null }),
    );
    const gone = await readGroup(dir.path);
    expect(gone.status).toBe("interrupted");
    expect(gone.trials.map((t) => t.status)).toEqual(["interrupted", "pending", "pending"]);
    expect(gone.warnings.at(-1)).toMatch(`the search (pid ${dead}) ended without finishing its record`);
    await writeGroup(dir.path, started({ pid: process.pid, host: hostname() }));
    expect((await readGroup(dir.path)).status).toBe("running");
    await writeGroup(dir.path, started({ pid: dead, host: `not-${hostname()}` })); // another host's process: cannot tell
    expect((await readGroup(dir.path)).status).toBe("running");
  });
});

describe("openGroupJournal", () => {
  it("appends lines in the order given, whole, even when appends are not awaited one by one", async () => {
    await using dir = await tempFolder();
    const journal = await openGroupJournal(dir.path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => journal.append({ group: GROUP, trial: trial(i), best: null })));
    await journal.close();
    const entries = parseGroupJournal(readFileSync(join(dir.path, JOURNAL_FILE), "utf8"), "j");
    expect(entries.map((e) => e.trial.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
