import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { BadInputError } from "../errors.js";
import { parseYamlStrict } from "./parse-yaml.js";
import { listIds, resolveId } from "./run-store.js";
import type { GroupManifest } from "./types.js";
import { validateGroup } from "./validate.js";
import { writeFileAtomic } from "../primitives/write-atomic.js";

export const GROUP_FILE = "group.yaml";

export function groupsFolder(root: string): string {
  return join(root, ".mlx", "groups");
}

export async function createGroupFolder(root: string, id: string): Promise<string> {
  const folder = join(groupsFolder(root), id);
  await mkdir(groupsFolder(root), { recursive: true });
  await mkdir(folder);
  return folder;
}

/** Validates, then writes group.yaml atomically (after every trial, so an interruption leaves a valid record). */
export async function writeGroup(folder: string, manifest: GroupManifest): Promise<void> {
  const where = join(folder, GROUP_FILE);
  validateGroup(manifest, where);
  await writeFileAtomic(where, stringify(manifest, { lineWidth: 0 }));
}

export async function readGroup(folder: string): Promise<GroupManifest> {
  const where = join(folder, GROUP_FILE);
  const text = await readFile(where, "utf8").catch((error: unknown) => {
    throw new BadInputError(`cannot read ${where}: ${(error as Error).message}`, "Run `mlx ls` to see the groups that exist.", {
      cause: error,
    });
  });
  return validateGroup(parseYamlStrict(text, where), where);
}

export const listGroupIds = (root: string): Promise<string[]> => listIds(groupsFolder(root));
export const resolveGroupId = (root: string, ref: string): Promise<string> => resolveId(groupsFolder(root), ref, "group");
