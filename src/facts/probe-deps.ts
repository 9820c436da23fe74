import { createHash } from "node:crypto";
import { copyFile, lstat, mkdir, readdir, readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Dependencies, Lockfile, Probed } from "../record/types.js";
import { sha256File, sha256Text } from "../primitives/hash-paths.js";
import { probe } from "./probe.js";

export const LOCKFILE_NAMES = [
  "package-lock.json",
  "npm-shrinkwrap.json",
  "pnpm-lock.yaml",
  "yarn.lock",
  "poetry.lock",
  "uv.lock",
  "Pipfile.lock",
];
const REQUIREMENTS = /^requirements.*\.txt$/;

/** Lockfiles in the working folder and each folder up to the root, copied into the record with sha256. */
export async function probeDependencies(root: string, cwdRel: string, recordFolder: string): Promise<Dependencies> {
  const folders = foldersUpToRoot(cwdRel);
  const lockfiles: Lockfile[] = [];
  for (const folder of folders) {
    const names = await readdir(join(root, folder)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (!LOCKFILE_NAMES.includes(name) && !REQUIREMENTS.test(name)) continue;
      const path = folder === "." ? name : `${folder}/${name}`;
      const absolute = join(root, path);
      const info = await stat(absolute).catch(() => undefined);
      if (!info?.isFile()) continue;
      const copy = `lockfiles/${path}`;
      await mkdir(join(recordFolder, copy, ".."), { recursive: true });
      await copyFile(absolute, join(recordFolder, copy));
      lockfiles.push({ path, sizeBytes: info.size, sha256: await sha256File(absolute), copy });
    }
  }
  const nodeModules = await probeNodeModules(root, folders);
  return { lockfiles, nodeModules };
}

/** "examples/iris" -> ["examples/iris", "examples", "."]: nearest first. */
export function foldersUpToRoot(cwdRel: string): string[] {
  const parts = cwdRel === "." ? [] : cwdRel.split("/");
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(parts.slice(0, i).join("/"));
  out.push(".");
  return out;
}

/** sha256 of the sorted "name@version" list: equal fingerprints mean the same installed packages. */
export function fingerprintPackages(packages: Iterable<string>): { count: number; fingerprint: string } {
  const list = [...new Set(packages)].sort();
  return { count: list.length, fingerprint: sha256Text(list.join("\n")) };
}

/**
 * The installed node_modules nearest the working folder, read from npm's hidden lockfile
 * (node_modules/.package-lock.json, every installed package) or else from the top-level package.json files.
 */
async function probeNodeModules(root: string, folders: string[]): Promise<Dependencies["nodeModules"]> {
  return probe("node_modules", 10_000, async () => {
    for (const folder of folders) {
      const modules = `${folder === "." ? "" : folder + "/"}node_modules`;
      if ((await stat(join(root, modules)).catch(() => undefined))?.isDirectory()) return fingerprintNodeModules(root, modules);
    }
    throw new Error("no node_modules folder in the working folder or above it");
  }) as Promise<Probed<{ count: number; fingerprint: string; source: string }>>;
}

/**
 * The fingerprint of one node_modules folder (relative to root): the installed packages (name@version)
 * and every file's path, size and mtime, so that a file edited after capture changes it too. Sizes
 * and mtimes come from one lstat per file; no file is read. `source` names where the packages were read.
 */
export async function fingerprintNodeModules(
  root: string,
  modules: string,
): Promise<{ count: number; fingerprint: string; source: string }> {
  const [packages, files] = await Promise.all([listPackages(root, modules), fileStatsDigest(join(root, modules))]);
  return { count: packages.count, fingerprint: sha256Text(`${packages.fingerprint}\n${files}`), source: packages.source };
}

/** The fingerprint as mlx recorded it before file stats were part of it: packages only. */
export async function packagesFingerprint(root: string, modules: string): Promise<{ count: number; fingerprint: string; source: string }> {
  return listPackages(root, modules);
}

async function listPackages(root: string, modules: string): Promise<{ count: number; fingerprint: string; source: string }> {
  const hidden = await readFile(join(root, modules, ".package-lock.json"), "utf8").catch(() => undefined);
  if (hidden) {
    const packages = (JSON.parse(hidden) as { packages?: Record<string, { version?: string }> }).packages ?? {};
    const list = Object.entries(packages).map(([path, p]) => `${path.replace(/^.*node_modules\//, "")}@${p.version ?? "?"}`);
    return { ...fingerprintPackages(list), source: `${modules}/.package-lock.json` };
  }
  return { ...fingerprintPackages(await topLevelPackages(join(root, modules))), source: modules };
}

/** Tools' caches inside node_modules change on every run without changing what is installed. */
const SKIPPED = new Set([".cache"]);

/** sha256 of the sorted "path size mtimeMs" lines of every file (links: their target) below `dir`. */
export async function fileStatsDigest(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(dir, rel), { withFileTypes: true });
    await Promise.all(
      entries.map(async (entry) => {
        if (rel === "" && SKIPPED.has(entry.name)) return;
        const childRel = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) return walk(childRel);
        if (entry.isSymbolicLink()) return void lines.push(`${childRel}\t-> ${await readlink(join(dir, childRel))}`);
        const info = await lstat(join(dir, childRel));
        lines.push(`${childRel}\t${info.size}\t${Math.trunc(info.mtimeMs)}`);
      }),
    );
  };
  await walk("");
  const hash = createHash("sha256");
  for (const line of lines.sort()) hash.update(line + "\n");
  return hash.digest("hex");
}

async function topLevelPackages(modules: string): Promise<string[]> {
  const out: string[] = [];
  const readVersion = async (dir: string): Promise<void> => {
    const pkg = await readFile(join(dir, "package.json"), "utf8").catch(() => undefined);
    if (!pkg) return;
    const { name, version } = JSON.parse(pkg) as { name?: string; version?: string };
    if (name) out.push(`${name}@${version ?? "?"}`);
  };
  for (const entry of await readdir(modules)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) {
      for (const scoped of await readdir(join(modules, entry)).catch(() => [] as string[])) await readVersion(join(modules, entry, scoped));
    } else {
      await readVersion(join(modules, entry));
    }
  }
  return out;
}
