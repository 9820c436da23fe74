import { join } from "node:path";
import { BadInputError } from "../errors.js";
import { groupsFolder, listGroupIds, readGroup, resolveGroupId } from "../record/group-store.js";
import { resolveRunId } from "../record/run-store.js";

export interface PackTarget {
  /** The run whose code, dependencies and runtime build the image: the run, or a group's best trial. */
  primary: string;
  /** Every run packed (its record goes into the bundle); the primary is one of them. */
  runIds: string[];
  group?: { id: string; folder: string };
}

/** A run id (or unique prefix, or latest), or a search group's id: a group's trials share one image. */
export async function resolveTarget(root: string, ref: string): Promise<PackTarget> {
  if (ref !== "latest" && (await listGroupIds(root)).some((g) => g.startsWith(ref))) {
    const id = await resolveGroupId(root, ref);
    const folder = join(groupsFolder(root), id);
    const group = await readGroup(folder);
    const runIds = group.trials.flatMap((t) => (t.runId ? [t.runId] : []));
    if (!group.best) {
      throw new BadInputError(
        `group ${id} has no successful trial with ${group.spec.metric.name}`,
        "Pack a group whose search found a best trial, or pack one trial's run by its id.",
      );
    }
    return { primary: group.best.runId, runIds, group: { id, folder } };
  }
  const runId = await resolveRunId(root, ref);
  return { primary: runId, runIds: [runId] };
}
