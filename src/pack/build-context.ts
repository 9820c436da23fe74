// The build context of a bundle's image: Dockerfile, .dockerignore, the preload, the code as it ran,
// --include'd files and node_modules as installed. The same entries go into the bundle's context/.

import { lstat, mkdir, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { renderDockerfile } from "../bundle/dockerfile.js";
import { PRELOAD_FILES, PYTHON_PRELOAD_FILES } from "../bundle/image-layout.js";
import { listTree } from "../bundle/list-tree.js";
import { sortEntries, type TarEntry } from "../bundle/tar-writer.js";
import { linkStaysInside } from "../primitives/paths.js";
import { sha256File } from "../primitives/hash-paths.js";
import { looksSecretContent, looksSecretFile } from "../record/redact.js";
import { MANIFEST } from "../record/run-store.js";
import type { GitInfo, HashedFile, RunManifest } from "../record/types.js";
import { snapshotCode } from "./code-snapshot.js";
import { checkPythonPackable, pythonPackWarnings } from "./python-deps.js";
import { vendorNodeModules, vendorVenv } from "./vendor-deps.js";

export interface ContextPlan {
  root: string;
  run: RunManifest;
  /** The run's code state (checked: git was available). */
  git: GitInfo;
  recordFolder: string;
  baseImage: string;
  /** --include paths, checked, relative to the root. */
  includes: readonly string[];
  inputs: readonly HashedFile[];
  mlxVersion: string;
  /** dist/sdk/preload.cjs: the preload files are taken from its folder. */
  preloadPath: string;
  /** An empty folder the code snapshot is written into. */
  scratch: string;
}

export interface BuildContext {
  /** Everything the image is built from, sorted by name. */
  entries: TarEntry[];
  /** The node_modules entries among them: the bundle leaves them out when its image holds them. */
  vendored: ReadonlySet<TarEntry>;
  /** Files of the code that look like secrets (relative to the root): left out of the image and the bundle. */
  secretFiles: string[];
}

export async function buildContext(plan: ContextPlan, step: (line: string) => void): Promise<BuildContext> {
  const { root, run, git } = plan;
  // A Python run whose interpreter or packages an image cannot reproduce is refused before any work.
  const python = checkPythonPackable(run, plan.baseImage);
  for (const warning of pythonPackWarnings(run, python)) step(`warning: ${warning}`);
  step(`code: ${git.commit ? `commit ${git.commit.slice(0, 12)}` : "no commit"}${git.patch ? " + recorded patch" : ""}`);
  const code = join(plan.scratch, "app");
  await mkdir(code);
  await snapshotCode(root, git, git.patch ? join(plan.recordFolder, git.patch.file) : null, code);
  const secretFiles: string[] = [];
  // Never git's own files, never a secret-looking file (committed, patched in, or under an --include'd folder).
  const keep = (e: TarEntry): boolean => {
    const rel = e.name.slice("app/".length);
    if (rel.split("/").includes(".git")) return false;
    if (!looksSecretFile(rel)) return true;
    secretFiles.push(rel);
    return false;
  };
  // A committed link that points outside the code (/etc/passwd, ../../..) is refused, naming it (exit 2).
  // ... nor a file that holds a private key, whatever its name (node_modules is not read: too many files).
  const withoutKeys = async (entries: TarEntry[]): Promise<TarEntry[]> => {
    const kept: TarEntry[] = [];
    for (const e of entries) {
      if (e.source.kind === "file" && (await looksSecretContent(e.source.path))) secretFiles.push(e.name.slice("app/".length));
      else kept.push(e);
    }
    return kept;
  };
  const snapshot = await withoutKeys((await listTree(code, "app", linkStaysInside)).filter(keep));
  const included = await Promise.all(plan.includes.map(async (rel) => withoutKeys(await includeEntries(root, rel, keep))));
  const vendored = [...(await vendorNodeModules(root, run)), ...(await vendorVenv(root, run, python))];
  const dockerfile = renderDockerfile({
    baseImage: plan.baseImage,
    runId: run.id,
    recordSha256: await sha256File(join(plan.recordFolder, MANIFEST)),
    commit: git.commit,
    patched: git.patch !== null,
    cwd: run.command.cwd,
    argv: run.command.argv,
    inputs: plan.inputs.map((i) => i.path),
    mlxVersion: plan.mlxVersion,
    python,
  });
  // A Python run gets mlx's sitecustomize.py and SDK too: replay puts their folder on PYTHONPATH.
  const pythonRun = run.python?.available === true || run.seed.preloads?.some((p) => p.runtime === "python" && p.applied) === true;
  const entries = sortEntries([
    { name: "Dockerfile", source: { kind: "data", data: Buffer.from(dockerfile) }, mode: 0o644 },
    { name: ".dockerignore", source: { kind: "data", data: Buffer.from(renderDockerignore(secretFiles)) }, mode: 0o644 },
    ...(await preloadEntries(plan.preloadPath, pythonRun)),
    ...lastByName([...snapshot, ...included.flat()]),
    ...vendored,
  ]);
  return { entries, vendored: new Set(vendored), secretFiles };
}

/** Never sent to a builder, whatever the context holds: git and mlx state, credentials, the secrets found. */
export function renderDockerignore(secretFiles: readonly string[]): string {
  return (
    ["# Written by mlx pack: never send these to a builder.", ".git", ".mlx", "**/.env", "**/.npmrc", ...secretFiles].join("\n") + "\n"
  );
}

/** The preload and the generator it loads (and, for a Python run, python/), from the folder of `preloadPath`, under mlx/. */
async function preloadEntries(preloadPath: string, python: boolean): Promise<TarEntry[]> {
  return Promise.all(
    [...PRELOAD_FILES, ...(python ? PYTHON_PRELOAD_FILES : [])].map(async (f): Promise<TarEntry> => {
      const path = join(dirname(preloadPath), f);
      return { name: `mlx/${f}`, source: { kind: "file", path, sizeBytes: (await stat(path)).size }, mode: 0o644 };
    }),
  );
}

/**
 * An --include'd file or folder of the working tree, under app/ (it wins over the snapshot's file of
 * that name). A file named on the command line is taken as asked; a folder's files pass `keep`.
 */
async function includeEntries(root: string, rel: string, keep: (e: TarEntry) => boolean): Promise<TarEntry[]> {
  const info = await lstat(join(root, rel));
  if (info.isFile())
    return [{ name: `app/${rel}`, source: { kind: "file", path: join(root, rel), sizeBytes: info.size }, mode: info.mode }];
  return (await listTree(join(root, rel), `app/${rel}`, linkStaysInside)).filter(keep);
}

/** One entry per name; a later entry replaces an earlier one. */
function lastByName(entries: readonly TarEntry[]): TarEntry[] {
  const byName = new Map<string, TarEntry>();
  for (const e of entries) byName.set(e.name, e);
  return [...byName.values()];
}
