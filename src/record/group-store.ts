import { mkdir, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { BadInputError, describeError } from "../errors.js";
import { parseYamlStrict } from "./parse-yaml.js";
import { groupsFolder, runsFolder } from "./run-folder.js";
import { ambiguousRef, listIds, listRunIds, readRun, resolveId, resolveRunId } from "./run-store.js";
import type { GroupManifest } from "./types.js";
import { validateGroup } from "./validate.js";
import { writeFileAtomic } from "../primitives/write-atomic.js";
import { processAlive } from "../primitives/process-alive.js";
import { JOURNAL_FILE, mergeGroupJournal, readGroupJournal } from "./group-journal.js";

export const GROUP_FILE = "group.yaml";

export { groupsFolder };

export async function createGroupFolder(root: string, id: string): Promise<string> {
  const folder = join(groupsFolder(root), id);
  await mkdir(groupsFolder(root), { recursive: true });
  await mkdir(folder);
  return folder;
}

/** Validates, then writes group.yaml atomically: at a search's start and end (trials in between go to its journal). */
export async function writeGroup(folder: string, manifest: GroupManifest): Promise<void> {
  const where = join(folder, GROUP_FILE);
  validateGroup(manifest, where);
  await writeFileAtomic(where, stringify(manifest, { lineWidth: 0 }));
}

/**
 * The group as it stands: group.yaml, and while its search runs, the journal's trial changes applied over
 * it. A search whose process is gone (killed before it could write its record whole) reads as interrupted.
 */
export async function readGroup(folder: string): Promise<GroupManifest> {
  const where = join(folder, GROUP_FILE);
  const text = await readFile(where, "utf8").catch((error: unknown) => {
    throw new BadInputError(`cannot read ${where}: ${describeError(error)}`, "Run `mlx ls` to see the groups that exist.", {
      cause: error,
    });
  });
  const group = validateGroup(parseYamlStrict(text, where), where);
  if (group.status !== "running") return group; // written whole at the end: any journal left is already in it
  const entries = await readGroupJournal(folder);
  const journal = join(folder, JOURNAL_FILE);
  const merged = entries ? validateGroup(mergeGroupJournal(group, entries, journal), journal) : group;
  return searchGone(merged) ? asInterrupted(merged) : merged;
}

/** The search's process is known, on this host, and no longer exists. */
function searchGone(group: GroupManifest): boolean {
  return group.pid !== undefined && group.host === hostname() && !processAlive(group.pid);
}

function asInterrupted(group: GroupManifest): GroupManifest {
  return {
    ...group,
    status: "interrupted",
    trials: group.trials.map((t) => (t.status === "running" ? { ...t, status: "interrupted" } : t)),
    warnings: [...group.warnings, `the search (pid ${group.pid}) ended without finishing its record: it was killed`],
  };
}

export const listGroupIds = (root: string): Promise<string[]> => listIds(groupsFolder(root));
export const resolveGroupId = (root: string, ref: string): Promise<string> => resolveId(groupsFolder(root), ref, "group");

export type RecordRef = { kind: "run"; id: string } | { kind: "group"; id: string };

/**
 * A run or a group by `latest`, an exact id, or a prefix that only one record has. A prefix both runs
 * and groups share is ambiguous (exit 2 listing them), never silently a group.
 */
export async function resolveRecord(root: string, ref: string): Promise<RecordRef> {
  // An empty prefix (an unset shell variable) would match every record.
  if (ref.trim() === "") throw new BadInputError("an empty run or group id", "Give an id or a prefix of one (mlx ls), or latest.");
  if (ref === "latest") return resolveLatest(root);
  const [groupIds, runIds] = await Promise.all([listGroupIds(root), listRunIds(root)]); // one readdir each, no record read
  if (groupIds.includes(ref)) return { kind: "group", id: ref };
  if (runIds.includes(ref)) return { kind: "run", id: ref };
  const groups = groupIds.filter((id) => id.startsWith(ref));
  const runs = runIds.filter((id) => id.startsWith(ref));
  if (groups.length === 1 && runs.length === 0) return { kind: "group", id: groups[0]! };
  if (groups.length > 0 && runs.length > 0) {
    throw ambiguousRef(ref, [...runs.map((id) => `run ${id}`), ...groups.map((id) => `group ${id}`)], "runs and groups");
  }
  if (groups.length > 1) return { kind: "group", id: await resolveId(groupsFolder(root), ref, "group", groupIds) };
  return { kind: "run", id: await resolveId(runsFolder(root), ref, "run", runIds) };
}

/**
 * `latest` is the newest run, except right after a search: when that run is a trial its group's
 * search made (the group record lists it), it is the group. A plain run captured after the search is
 * still `latest`.
 */
async function resolveLatest(root: string): Promise<RecordRef> {
  const id = await resolveRunId(root, "latest");
  const trialOf = (await readRun(join(runsFolder(root), id))).group;
  if (!trialOf) return { kind: "run", id };
  const group = await readGroup(join(groupsFolder(root), trialOf.id)).catch(() => null);
  return group?.trials.some((t) => t.runId === id) ? { kind: "group", id: trialOf.id } : { kind: "run", id };
}
