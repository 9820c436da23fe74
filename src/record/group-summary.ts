// What `mlx ls` shows of a search group, kept in .mlx/index/groups.json so that listing does not parse
// every group.yaml (a 1,000-trial record is large). Each summary is keyed by the stats of every file
// in the group's folder (group.yaml and its trials journal): any write there makes it stale, and it is
// read again with readGroup. A running search is always read again (its process may have died).
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describeError } from "../errors.js";
import { tempPathFor } from "../primitives/write-atomic.js";
import { groupsFolder } from "./run-folder.js";
import type { GroupManifest } from "./types.js";

export interface GroupSummary {
  id: string;
  /** Null when the record cannot be read or is invalid: `problem` says why. */
  name: string | null;
  createdAt: string;
  status: string;
  done: number;
  total: number;
  best: { metric: number; index: number } | null;
  /** The metric the search optimises, or null for an unreadable record. */
  objective: string | null;
  problem?: string;
}

export const groupIndexPath = (root: string): string => join(root, ".mlx", "index", "groups.json");
/** .mlx/groups, as group-store.ts names it; here so that listing does not load YAML and the schema. */
export { groupsFolder };

type Cache = Record<string, { key: string; summary: GroupSummary }>;

export function summarizeGroup(id: string, g: GroupManifest): GroupSummary {
  return {
    id,
    name: g.name,
    createdAt: g.createdAt,
    status: g.status,
    done: g.trials.filter((t) => t.status !== "pending" && t.status !== "running").length,
    total: g.trials.length,
    best: g.best ? { metric: g.best.metric, index: g.best.index } : null,
    objective: g.spec.metric.name,
  };
}

/** The stats of every file in the group's folder, as one string: equal only while nothing there changed. */
async function folderKey(folder: string): Promise<string> {
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => !n.startsWith(".")).sort();
  const stats = await Promise.all(names.map((n) => stat(join(folder, n)).catch(() => null)));
  return names.map((n, i) => `${n}:${stats[i]?.size}:${stats[i]?.mtimeMs}:${stats[i]?.ino}`).join("/");
}

/**
 * The summaries of these groups (order kept): from the cache where each folder is unchanged, else by
 * reading the record. `allIds`, when given, are the groups that exist: the cache forgets the others.
 */
export async function readGroupSummaries(root: string, ids: readonly string[], allIds?: readonly string[]): Promise<GroupSummary[]> {
  const path = groupIndexPath(root);
  const cache = await readCache(path);
  let changed = false;
  const out = await Promise.all(
    ids.map(async (id): Promise<GroupSummary> => {
      const folder = join(groupsFolder(root), id);
      const key = await folderKey(folder);
      const hit = cache[id];
      if (hit && hit.key === key && hit.summary.status !== "running") return hit.summary;
      const summary = await readSummary(id, folder);
      changed = true;
      if (summary.status === "running" || summary.problem !== undefined) delete cache[id];
      else cache[id] = { key, summary };
      return summary;
    }),
  );
  if (allIds) {
    const live = new Set(allIds);
    for (const id of Object.keys(cache))
      if (!live.has(id)) {
        delete cache[id];
        changed = true;
      }
  }
  if (changed) await writeCache(path, cache);
  return out;
}

async function readSummary(id: string, folder: string): Promise<GroupSummary> {
  const { readGroup } = await import("./group-store.js"); // YAML and the schema load only on a miss
  try {
    return summarizeGroup(id, await readGroup(folder));
  } catch (error) {
    return {
      id,
      name: null,
      createdAt: "",
      status: "invalid",
      done: 0,
      total: 0,
      best: null,
      objective: null,
      problem: describeError(error),
    };
  }
}

async function readCache(path: string): Promise<Cache> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as { v?: unknown; groups?: unknown };
    if (parsed.v !== 1 || typeof parsed.groups !== "object" || parsed.groups === null || Array.isArray(parsed.groups)) return {};
    const cache: Cache = Object.create(null) as Cache;
    for (const [id, e] of Object.entries(parsed.groups as Record<string, unknown>)) {
      const entry = e as { key?: unknown; summary?: Partial<GroupSummary> } | null;
      const s = entry?.summary;
      if (typeof entry?.key === "string" && s && typeof s.status === "string" && typeof s.total === "number" && s.id === id)
        cache[id] = { key: entry.key, summary: s as GroupSummary };
    }
    return cache;
  } catch {
    return Object.create(null) as Cache; // missing or garbage: every group is read again, and the cache rewritten
  }
}

/** Atomically (temp + rename): two listings writing at once leave one whole cache, either being correct. */
async function writeCache(path: string, cache: Cache): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, JSON.stringify({ v: 1, groups: cache }), { flag: "wx" });
    await rename(temp, path);
  } catch {
    await unlink(temp).catch(() => undefined); // a cache that cannot be written is only slower next time
  }
}
