import { stat } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError } from "../errors.js";
import { groupsFolder, readGroup, resolveRecord } from "../record/group-store.js";
import { runsFolder } from "../record/run-folder.js";

export interface PackTarget {
  /** The run whose code, dependencies and runtime build the image: the run, or a group's best trial. */
  primary: string;
  /** Every run packed (its record goes into the bundle); the primary is one of them. */
  runIds: string[];
  group?: { id: string; folder: string };
}

/** A run id (or unique prefix, or latest), or a search group's id: a group's trials share one image. */
export async function resolveTarget(root: string, ref: string): Promise<PackTarget> {
  const found = await resolveRecord(root, ref); // latest right after a search: the search
  if (found.kind === "group") {
    const id = found.id;
    const folder = join(groupsFolder(root), id);
    const group = await readGroup(folder);
    const runIds = group.trials.flatMap((t) => (t.runId ? [t.runId] : []));
    if (!group.best) {
      throw new BadInputError(
        `group ${id} has no successful trial with ${group.spec.metric.name}`,
        "Pack a group whose search found a best trial, or pack one trial's run by its id.",
      );
    }
    // A trial folder deleted by hand: name it, rather than fail later on a file it should hold.
    for (const t of group.trials) {
      if (!t.runId || (await stat(join(runsFolder(root), t.runId, "manifest.yaml")).catch(() => null))) continue;
      throw new BadInputError(
        `group ${id}: trial ${t.index} (run ${t.runId}) is missing from ${runsFolder(root)}`,
        `Its record was deleted; remove the whole group with \`mlx rm ${id}\`, or pack one remaining trial by its run id.`,
      );
    }
    return { primary: group.best.runId, runIds, group: { id, folder } };
  }
  return { primary: found.id, runIds: [found.id] };
}
