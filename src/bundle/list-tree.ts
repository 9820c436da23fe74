import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { BadInputError } from "../errors.js";
import { sortEntries, type TarEntry } from "./tar-writer.js";

/**
 * Every file and symbolic link below `dir`, as tar entries named `prefix/relative`, sorted.
 * `keepLink` decides about each link's target (resolved inside `dir`); false refuses the pack.
 */
export async function listTree(
  dir: string,
  prefix: string,
  keepLink: (rel: string, target: string) => boolean = () => true,
): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(dir, rel))).sort();
    for (const name of names) {
      const childRel = rel ? `${rel}/${name}` : name;
      const path = join(dir, childRel);
      const info = await lstat(path);
      const entryName = `${prefix}/${childRel}`;
      if (info.isDirectory()) await walk(childRel);
      else if (info.isFile()) entries.push({ name: entryName, source: { kind: "file", path, sizeBytes: info.size }, mode: info.mode });
      else if (info.isSymbolicLink()) {
        const target = await readlink(path);
        if (!keepLink(childRel, target)) {
          throw new BadInputError(
            `${entryName} is a link to ${target}, outside the folder it belongs to`,
            "Replace the link with the file, or reinstall without links (npm ci).",
          );
        }
        entries.push({ name: entryName, source: { kind: "symlink", target }, mode: 0o777 });
      }
    }
  };
  await walk("");
  return sortEntries(entries);
}
