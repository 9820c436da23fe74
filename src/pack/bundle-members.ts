// What goes into bundle.tar, member by member, named as bundle/layout.ts says.

import { join } from "node:path";
import { stringify } from "yaml";
import { BUNDLE_MANIFEST, CONTEXT_DIR, DATA_DIR, groupRecordMember, IMAGE_ARCHIVE, runRecordMember } from "../bundle/layout.js";
import { listTree } from "../bundle/list-tree.js";
import { sortEntries, type TarEntry } from "../bundle/tar-writer.js";
import { runsFolder } from "../record/run-folder.js";
import type { BundleManifest } from "../record/types.js";
import type { PackTarget } from "./resolve-target.js";

export interface MembersPlan {
  root: string;
  manifest: BundleManifest;
  /** The build context entries the bundle holds; links among them are listed in the manifest instead. */
  context: readonly TarEntry[];
  records: readonly TarEntry[];
  /** The saved image, or null with --no-image. */
  image: { path: string; sizeBytes: number } | null;
}

/** Every member but SHA256SUMS (the writer adds it last), sorted. Inputs carry their recorded sha256, checked as written. */
export function bundleMembers(plan: MembersPlan): TarEntry[] {
  const { manifest } = plan;
  return sortEntries([
    { name: BUNDLE_MANIFEST, source: { kind: "data", data: Buffer.from(stringify(manifest, { lineWidth: 0 })) }, mode: 0o644 },
    ...plan.context.filter((e) => e.source.kind !== "symlink").map((e) => ({ ...e, name: `${CONTEXT_DIR}/${e.name}` })),
    ...manifest.data.map((i): TarEntry => {
      const source = { kind: "file" as const, path: join(plan.root, i.path), sizeBytes: i.sizeBytes, expectSha256: i.sha256 };
      return { name: `${DATA_DIR}/${i.path}`, source, mode: 0o644 };
    }),
    ...plan.records,
    ...(plan.image ? [{ name: IMAGE_ARCHIVE, source: { kind: "file" as const, ...plan.image }, mode: 0o644 }] : []),
  ]);
}

/** records/runs/<id>/ for every run packed, and records/groups/<id>/ for a group. Links are refused. */
export async function recordEntries(root: string, target: PackTarget): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const id of target.runIds) entries.push(...(await listTree(join(runsFolder(root), id), runRecordMember(id), () => false)));
  if (target.group) entries.push(...(await listTree(target.group.folder, groupRecordMember(target.group.id), () => false)));
  return entries;
}
