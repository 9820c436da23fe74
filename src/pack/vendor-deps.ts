import { dirname, join } from "node:path";
import { listTree } from "../bundle/list-tree.js";
import type { TarEntry } from "../bundle/tar-writer.js";
import { BadInputError } from "../errors.js";
import { fingerprintNodeModules, packagesFingerprint } from "../facts/probe-deps.js";
import { linkStaysInside } from "../primitives/paths.js";
import type { RunManifest } from "../record/types.js";

/**
 * node_modules exactly as captured, as context entries under app/: the installed packages must still
 * match the recorded fingerprint, so that the image build needs no network and gets what the run used.
 * No entries when the run recorded no node_modules.
 */
export async function vendorNodeModules(root: string, run: RunManifest): Promise<TarEntry[]> {
  const recorded = run.dependencies?.nodeModules;
  if (!recorded?.available) return [];
  const folder = recorded.source.replace(/\/\.package-lock\.json$/, "");
  const now = await fingerprintNodeModules(root, folder).catch(() => undefined);
  // A record made before file stats joined the fingerprint holds the packages-only one: compare like with like.
  const legacy =
    now && now.fingerprint !== recorded.fingerprint ? await packagesFingerprint(root, folder).catch(() => undefined) : undefined;
  if (!now || (now.fingerprint !== recorded.fingerprint && legacy?.fingerprint !== recorded.fingerprint)) {
    const found = now ? `${now.count} packages, fingerprint ${now.fingerprint.slice(0, 12)}` : "missing";
    const where = dirname(folder) === "." ? "the repository root" : dirname(folder);
    throw new BadInputError(
      `${folder} changed since capture: a package or file was added, removed or edited ` +
        `(${found}; recorded ${recorded.count}, ${recorded.fingerprint.slice(0, 12)})`,
      `Restore them, or reinstall from the recorded lockfile (npm ci in ${where}) and capture the run again; then pack.`,
    );
  }
  return listTree(join(root, folder), `app/${folder}`, linkStaysInside);
}
