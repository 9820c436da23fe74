import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative } from "node:path";
import { imagePythonDir, type PythonImage } from "../bundle/dockerfile.js";
import { listTree } from "../bundle/list-tree.js";
import type { TarEntry } from "../bundle/tar-writer.js";
import { BadInputError, describeError } from "../errors.js";
import { fingerprintNodeModules, packagesFingerprint } from "../facts/probe-deps.js";
import { readPythonDistributions } from "../facts/python-distributions.js";
import { linkStaysInside } from "../primitives/paths.js";
import type { RunManifest } from "../record/types.js";
import { compareDistributions, rewritePyvenvCfg } from "./python-deps.js";

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

/** A venv's links to the host's interpreter: the image makes its own (see the Dockerfile). */
const INTERPRETER_LINK = /^bin\/python(\d+(\.\d+)?)?$/;

/**
 * A venv exactly as captured, as context entries under venv/: its distributions must still match the
 * recorded ones (read again with its own interpreter), or pack refuses naming the packages. The
 * links to the host's interpreter are left out and pyvenv.cfg names the image's Python instead.
 * When the venv lies inside the repository, the code gets a link to it at the same relative place,
 * so that a command such as `.venv/bin/python train.py` finds it.
 */
export async function vendorVenv(root: string, run: RunManifest, image: PythonImage | null): Promise<TarEntry[]> {
  const python = run.python?.available ? run.python : null;
  if (!image?.venv || !python) return [];
  const venv = image.venv;
  const repoInVenv = relative(venv, root);
  if (!repoInVenv.startsWith("..") && !isAbsolute(repoInVenv)) {
    // Vendoring the venv whole would carry the repository (its .git, its secrets) past the code snapshot's filters.
    throw new BadInputError(
      `the repository ${root} lies inside the venv ${venv}: vendoring the venv would ship the whole repository with it`,
      "Make the venv a folder of its own (python3 -m venv .venv inside the repository, or outside it), " +
        "reinstall, capture again; then pack.",
    );
  }
  const now = await readPythonDistributions(python.executable).catch((error: unknown) => {
    throw new BadInputError(
      `the venv's interpreter ${python.executable} cannot list its packages any more (${describeError(error)})`,
      `Recreate the venv at ${venv} as it was at capture, or capture the run again; then pack.`,
      { cause: error },
    );
  });
  const changes = compareDistributions(python.distributions, now);
  if (changes.length > 0) {
    throw new BadInputError(
      `the venv ${venv} changed since capture: ${changes.join(", ")}`,
      "Reinstall the recorded versions (pip install NAME==VERSION; reinstall an edited package) or capture the run again; then pack.",
    );
  }
  const keepLink = (rel: string, target: string): boolean => INTERPRETER_LINK.test(rel) || linkStaysInside(rel, target);
  // Never a repository's or mlx's own files, should a venv hold one.
  const listed = (await listTree(venv, "venv", keepLink)).filter((e) => !e.name.split("/").some((s) => s === ".git" || s === ".mlx"));
  const cfg = await readFile(join(venv, "pyvenv.cfg"), "utf8");
  const rewritten = rewritePyvenvCfg(cfg, imagePythonDir(image), image.version);
  const entries: TarEntry[] = [
    ...listed.filter((e) => e.name !== "venv/pyvenv.cfg" && !INTERPRETER_LINK.test(e.name.slice("venv/".length))),
    { name: "venv/pyvenv.cfg", source: { kind: "data", data: Buffer.from(rewritten) }, mode: 0o644 },
  ];
  const rel = relative(root, venv);
  if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel))
    entries.push({ name: `app/${rel}`, source: { kind: "symlink", target: venv }, mode: 0o777 });
  return entries;
}
