import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError, EnvironmentError, describeError } from "../errors.js";
import { processAlive } from "../primitives/process-alive.js";
import { groupsFolder, readGroup, resolveRecord } from "../record/group-store.js";
import { runsFolder } from "../record/run-folder.js";
import { compactRunIndex } from "../record/run-index.js";
import { readRun } from "../record/run-store.js";

/** What `mlx rm` will delete: groups with every trial they still have, and runs. */
export interface RemovalPlan {
  groups: string[];
  runs: string[];
}

/** Where removed folders wait, renamed on the same filesystem, before they are deleted. */
export const trashFolder = (root: string): string => join(root, ".mlx", ".trash");

/**
 * Resolves each ref. A group brings its trials; a trial alone is refused while its group exists,
 * so a group record never names a run that is gone (remove the group, and its trials go with it).
 */
export async function planRemoval(root: string, refs: readonly string[]): Promise<RemovalPlan> {
  const groups = new Set<string>();
  const runs = new Set<string>();
  const asked: string[] = [];
  for (const ref of refs) {
    const found = await resolveRecord(root, ref);
    if (found.kind === "group") groups.add(found.id);
    else asked.push(found.id);
  }
  for (const id of groups) {
    const group = await readGroup(join(groupsFolder(root), id));
    for (const t of group.trials) if (t.runId && (await exists(join(runsFolder(root), t.runId)))) runs.add(t.runId);
  }
  for (const id of asked) {
    const run = await readRun(join(runsFolder(root), id)).catch(() => null); // an unreadable record can still be removed
    const owner = run?.group?.id;
    if (owner && !groups.has(owner) && (await exists(join(groupsFolder(root), owner)))) {
      throw new BadInputError(
        `run ${id} is trial ${run.group!.trial} of search group ${owner}; removing it alone would leave the group naming a missing trial`,
        `Remove the whole group with its trials: mlx rm ${owner}`,
      );
    }
    runs.add(id);
  }
  for (const id of runs) {
    // A capture still running would write its record again into a folder that is gone.
    const run = await readRun(join(runsFolder(root), id)).catch(() => null);
    if (run?.status === "running" && processAlive(run.command.pid)) {
      throw new BadInputError(
        `run ${id} is still running (pid ${run.command.pid})${run.group ? `, as trial ${run.group.trial} of group ${run.group.id}` : ""}`,
        "Let it finish or stop it (Ctrl-C in its terminal), then remove it.",
      );
    }
  }
  return { groups: [...groups].sort(), runs: [...runs].sort() };
}

/**
 * Moves every folder of the plan into one trash folder (a rename on the same filesystem: each record
 * is there whole or gone whole), groups first; a failed move puts back the ones already moved. Then
 * deletes the trash. A trash left by an interrupted removal is deleted first.
 */
export async function removeRecords(root: string, plan: RemovalPlan): Promise<void> {
  await rm(trashFolder(root), { recursive: true, force: true });
  const bin = join(trashFolder(root), `${Date.now()}-${randomBytes(3).toString("hex")}`);
  await mkdir(bin, { recursive: true });
  const moves = [
    ...plan.groups.map((id) => [join(groupsFolder(root), id), join(bin, `group-${id}`)] as const),
    ...plan.runs.map((id) => [join(runsFolder(root), id), join(bin, `run-${id}`)] as const),
  ];
  const done: Array<readonly [string, string]> = [];
  try {
    for (const move of moves) {
      await rename(move[0], move[1]);
      done.push(move);
    }
  } catch (error) {
    for (const [from, to] of done.reverse()) await rename(to, from).catch(() => undefined);
    await rm(bin, { recursive: true, force: true });
    throw new EnvironmentError(
      `cannot move a record into ${bin}: ${describeError(error)}; nothing was removed`,
      "Check the folder's permissions.",
      {
        cause: error,
      },
    );
  }
  await rm(bin, { recursive: true, force: true });
  await rmdir(trashFolder(root)).catch(() => undefined); // another removal may be using it
  // The run index drops the removed runs' lines (readers ignore them already: their folders are gone).
  await compactRunIndex(root).catch(() => undefined);
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );
