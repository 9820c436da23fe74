import { createHash } from "node:crypto";
import { constants, createWriteStream, type WriteStream } from "node:fs";
import { access, lstat, mkdir, mkdtemp, open, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import { stringify } from "yaml";
import { lexicalRecordedPath, linkStaysInside } from "../primitives/paths.js";
import { fingerprintNodeModules } from "../facts/probe-deps.js";
import { looksSecretFile } from "../record/redact.js";
import type { DockerClient } from "../docker/docker-client.js";
import { BadInputError, EnvironmentError } from "../errors.js";
import { findRoot, runsFolder } from "../record/run-folder.js";
import { MANIFEST, readRun, resolveRunId } from "../record/run-store.js";
import type { BundleManifest, HashedFile, RunManifest } from "../record/types.js";
import { validateBundle } from "../record/validate.js";
import { syncFolder, tempPathFor } from "../primitives/write-atomic.js";
import { BUNDLE_MANIFEST, SUMS } from "../bundle/layout.js";
import { listTree } from "../bundle/list-tree.js";
import { snapshotCode } from "./code-snapshot.js";
import { containerWorkdir, PRELOAD_FILES } from "../bundle/image-layout.js";
import { renderDockerfile } from "./dockerfile.js";
import { MemberChangedError, sortEntries, type TarEntry, TarWriter, tarStreamOf } from "../bundle/tar-writer.js";

export interface PackOptions {
  readonly cwd: string;
  readonly runRef: string;
  readonly output: string;
  readonly baseImage?: string;
  readonly noImage: boolean;
  readonly includes: readonly string[];
  readonly allowFailed: boolean;
  readonly force: boolean;
}

export interface PackProgress {
  step(line: string): void;
  bytes(label: string, bytes: number): void;
}

export interface PackDeps {
  docker: DockerClient;
  progress: PackProgress;
  mlxVersion: string;
  preloadPath: string;
  /** Temp paths made so far: the CLI removes them if the pack is interrupted. */
  temps: Set<string>;
}

export interface PackResult {
  path: string;
  sizeBytes: number;
  sha256: string;
  imageId: string;
  runId: string;
  members: number;
  warnings: string[];
}


/**
 * Freezes one run into bundle.tar: checks, builds the image from the code as it ran, saves it, and
 * writes a deterministic archive through a temp file that is renamed only when complete.
 */
export async function packRun(options: PackOptions, deps: PackDeps): Promise<PackResult> {
  const { root } = await findRoot(options.cwd);
  const target = await resolveTarget(root, options.runRef);
  const runId = target.primary;
  const recordFolder = join(runsFolder(root), runId);
  const run = await readRun(recordFolder);
  const warnings: string[] = [];
  checkRunIsPackable(run, options.allowFailed);
  if (target.group) await checkSameCode(root, run, target.runIds);
  await checkOutput(options);
  const baseImage = options.baseImage ?? defaultBaseImage(run);
  const inputs = await checkInputs(root, run);
  const includes = await Promise.all(options.includes.map((p) => includedPath(root, options.cwd, p)));

  await deps.docker.ping();
  if ((await deps.docker.imageId(baseImage)) === null) {
    throw new EnvironmentError(
      `base image ${baseImage} is not in the Docker engine, and no registry is asked`,
      "Build it offline with: bash scripts/setup-docker.sh (or docker pull it where a registry answers), or choose one with --base-image.",
    );
  }

  const scratch = await mkdtemp(join(tmpdir(), "mlx-pack-"));
  deps.temps.add(scratch);
  let imageFile: string | null = null;
  try {
    // 1. The build context: Dockerfile, preload, code at commit + patch, node_modules as installed.
    const code = join(scratch, "app");
    deps.progress.step(`code: ${run.git?.available && run.git.commit ? `commit ${run.git.commit.slice(0, 12)}` : "no commit"}${run.git?.available && run.git.patch ? " + recorded patch" : ""}`);
    await mkdir(code);
    await snapshotCode(root, gitOf(run), run.git?.available && run.git.patch ? join(recordFolder, run.git.patch.file) : null, code);
    const secretFiles: string[] = [];
    let codeEntries = (await listTree(code, "app")).filter((e) => {
      if (!looksSecretFile(e.name)) return true;
      secretFiles.push(e.name.slice("app/".length));
      return false;
    });
    for (const path of secretFiles) warnings.push(`${path} looks like a secret: left out of the image and the bundle`);
    for (const rel of includes) codeEntries.push(...(await includeEntries(root, rel)));
    codeEntries = sortEntries(dedupe(codeEntries));
    const depsEntries = await vendorNodeModules(root, run);
    const recordSha256 = createHash("sha256").update(await readFile(join(recordFolder, MANIFEST))).digest("hex");
    const dockerfile = renderDockerfile({
      baseImage,
      runId,
      recordSha256,
      commit: run.git?.available ? run.git.commit : null,
      patched: Boolean(run.git?.available && run.git.patch),
      cwd: run.command.cwd,
      argv: run.command.argv,
      inputs: inputs.map((i) => i.path),
      mlxVersion: deps.mlxVersion,
    });
    const contextEntries: TarEntry[] = sortEntries([
      { name: "Dockerfile", source: { kind: "data", data: Buffer.from(dockerfile) }, mode: 0o644 },
      { name: ".dockerignore", source: { kind: "data", data: Buffer.from(dockerignore(secretFiles)) }, mode: 0o644 },
      ...(await Promise.all(PRELOAD_FILES.map(async (f): Promise<TarEntry> => {
        const path = join(dirname(deps.preloadPath), f);
        return { name: `mlx/${f}`, source: { kind: "file", path, sizeBytes: (await stat(path)).size }, mode: 0o644 };
      }))),
      ...codeEntries,
      ...depsEntries,
    ]);

    // 2. The image, built through the Engine API from a context streamed from disk, then saved.
    deps.progress.step(`building the image on ${baseImage}`);
    const imageId = await deps.docker.build(tarStreamOf(contextEntries, mtimeOf(run)), {
      labels: {}, // the Dockerfile carries the labels, so a rebuild from context/ has them too
      onStep: (line) => deps.progress.step(`  ${line}`),
    });
    deps.progress.step(`image ${imageId}`);
    if (!options.noImage) {
      imageFile = tempPathFor(join(dirname(options.output), "image.tar"));
      deps.temps.add(imageFile);
      await deps.docker.save(imageId, imageFile, (n) => deps.progress.bytes("saving image", n));
    }

    // 3. The bundle, written to a temp file beside the target and renamed when complete.
    const bundled = imageFile ? contextEntries.filter((e) => !depsEntries.includes(e)) : contextEntries;
    const manifest: BundleManifest = {
      apiVersion: "mlx/v1",
      kind: "Bundle",
      created: run.createdAt,
      mlxVersion: deps.mlxVersion,
      runs: target.runIds,
      ...(target.group ? { group: target.group.id } : {}),
      image: { id: imageId, file: imageFile ? "image.tar" : null, baseImage, dependencies: depsEntries.length === 0 ? "none" : imageFile ? "image" : "context" },
      command: { argv: run.command.argv, workdir: containerWorkdir(run.command.cwd) },
      data: inputs,
      links: bundled.filter((e) => e.source.kind === "symlink").map((e) => ({ path: `context/${e.name}`, target: (e.source as { target: string }).target })),
    };
    validateBundle(manifest, BUNDLE_MANIFEST);
    const members: TarEntry[] = sortEntries([
      { name: BUNDLE_MANIFEST, source: { kind: "data", data: Buffer.from(stringify(manifest, { lineWidth: 0 })) }, mode: 0o644 },
      ...bundled.filter((e) => e.source.kind !== "symlink").map((e) => ({ ...e, name: `context/${e.name}` })),
      ...inputs.map((i): TarEntry => ({ name: `data/${i.path}`, source: { kind: "file", path: join(root, i.path), sizeBytes: i.sizeBytes, expectSha256: i.sha256 }, mode: 0o644 })),
      ...(await recordEntries(root, target)),
      ...(imageFile ? [{ name: "image.tar", source: { kind: "file" as const, path: imageFile, sizeBytes: (await stat(imageFile)).size }, mode: 0o644 }] : []),
    ]);
    const written = await writeBundle(options.output, members, mtimeOf(run), deps);
    return { ...written, imageId, runId, members: members.length + 1, warnings };
  } finally {
    // Whatever happened, no temp file stays: the saved image lives only inside a finished bundle.
    for (const temp of [scratch, imageFile]) {
      if (temp === null) continue;
      await rm(temp, { recursive: true, force: true });
      deps.temps.delete(temp);
    }
  }
}

interface PackTarget {
  /** The run whose code, dependencies and runtime build the image: the run, or a group's best trial. */
  primary: string;
  runIds: string[];
  group?: { id: string; folder: string };
}

/** A run id (or prefix, or latest), or a search group's id: its trials share one image. */
async function resolveTarget(root: string, ref: string): Promise<PackTarget> {
  const groups = await import("../record/group-store.js");
  if (ref !== "latest" && (await groups.listGroupIds(root)).some((g) => g.startsWith(ref))) {
    const id = await groups.resolveGroupId(root, ref);
    const folder = join(groups.groupsFolder(root), id);
    const group = await groups.readGroup(folder);
    const runIds = group.trials.flatMap((t) => (t.runId ? [t.runId] : []));
    if (!group.best) throw new BadInputError(`group ${id} has no successful trial with ${group.spec.metric.name}`, "Pack a group whose search found a best trial, or pack one trial's run by its id.");
    return { primary: group.best.runId, runIds, group: { id, folder } };
  }
  const runId = await resolveRunId(root, ref);
  return { primary: runId, runIds: [runId] };
}

/** One image serves every trial only when every trial ran the same code. */
async function checkSameCode(root: string, primary: RunManifest, runIds: string[]): Promise<void> {
  const key = (r: RunManifest): string => (r.git?.available ? `${r.git.commit} ${r.git.patch?.sha256 ?? "clean"}` : "no git");
  for (const id of runIds) {
    const trial = await readRun(join(runsFolder(root), id));
    if (key(trial) !== key(primary)) {
      throw new BadInputError(`trial run ${id} ran other code (${key(trial)}) than the best trial (${key(primary)})`, "A group bundle holds one image: pack the trials separately, by run id.");
    }
  }
}

/** records/runs/<id>/ for every run packed, and records/groups/<id>/ for a group. */
async function recordEntries(root: string, target: PackTarget): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  for (const id of target.runIds) entries.push(...(await listTree(join(runsFolder(root), id), `records/runs/${id}`, () => false)));
  if (target.group) entries.push(...(await listTree(target.group.folder, `records/groups/${target.group.id}`, () => false)));
  return entries;
}

function checkRunIsPackable(run: RunManifest, allowFailed: boolean): void {
  if (run.status !== "succeeded" && !allowFailed) {
    throw new BadInputError(`run ${run.id} ${run.status === "running" ? "never finished" : `is ${run.status}`} (exit ${run.outcome?.exitCode ?? "-"})`, "Pack a run that succeeded, or pass --allow-failed to pack it anyway.");
  }
  if (!run.git?.available) {
    throw new BadInputError(`run ${run.id} has no code state: ${run.git?.reason ?? "git was not probed"}`, "Capture the run inside a git repository: mlx pack takes the code from git.");
  }
  if (run.command.shell) {
    throw new BadInputError(`run ${run.id} ran through a shell (--shell)`, "Capture the command without --shell to pack it.");
  }
}

function defaultBaseImage(run: RunManifest): string {
  const node = run.runtimes?.node;
  if (!node) throw new BadInputError(`run ${run.id} recorded no node version to pin the base image to`, "Choose one with --base-image IMAGE.");
  return `node:${node}-bookworm-slim`;
}

async function checkOutput(options: PackOptions): Promise<void> {
  const exists = await lstat(options.output).then(() => true, () => false);
  if (exists && !options.force) throw new BadInputError(`${options.output} exists`, "Pass --force to replace it, or choose another path with -o.");
  try {
    await access(dirname(options.output), constants.W_OK);
  } catch (error) {
    throw new EnvironmentError(`cannot write in ${dirname(options.output)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, "Choose a writable folder with -o.", { cause: error });
  }
}

/** The declared inputs, file by file, after a cheap check (presence, size); their sha256 is checked while they are written. */
async function checkInputs(root: string, run: RunManifest): Promise<HashedFile[]> {
  const files = run.inputs.flatMap((i) => (i.kind === "dir" ? (i.files ?? []) : [{ path: i.path, sizeBytes: i.sizeBytes, sha256: i.sha256 }]));
  for (const file of files) {
    const info = await lstat(join(root, file.path)).catch(() => undefined);
    if (!info?.isFile()) throw new BadInputError(`input ${file.path} of run ${run.id} is missing`, "Restore the data the run read, or capture it again.");
    if (info.size !== file.sizeBytes) throw new BadInputError(`input ${file.path} changed since capture: ${info.size} bytes, recorded ${file.sizeBytes}`, "Restore the data the run read, or capture it again.");
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

async function includedPath(root: string, cwd: string, given: string): Promise<string> {
  const rel = lexicalRecordedPath(root, cwd, given, "--include", "Include files inside the repository only.");
  if (!(await lstat(join(root, rel)).catch(() => undefined))) throw new BadInputError(`--include ${given}: no such file or folder`, "Check the path.");
  return rel;
}

async function includeEntries(root: string, rel: string): Promise<TarEntry[]> {
  const info = await lstat(join(root, rel));
  if (info.isFile()) return [{ name: `app/${rel}`, source: { kind: "file", path: join(root, rel), sizeBytes: info.size }, mode: info.mode }];
  return listTree(join(root, rel), `app/${rel}`, linkStaysInside);
}

/** node_modules exactly as captured: the installed packages must still match the recorded fingerprint. */
async function vendorNodeModules(root: string, run: RunManifest): Promise<TarEntry[]> {
  const recorded = run.dependencies?.nodeModules;
  if (!recorded?.available) return [];
  const folder = recorded.source.replace(/\/\.package-lock\.json$/, "");
  const now = await fingerprintNodeModules(root, folder).catch(() => undefined);
  if (!now || now.fingerprint !== recorded.fingerprint) {
    throw new BadInputError(
      `${folder} no longer holds the packages the run used (${now ? `${now.count} packages, fingerprint ${now.fingerprint.slice(0, 12)}` : "missing"}; recorded ${recorded.count}, ${recorded.fingerprint.slice(0, 12)})`,
      `Reinstall them from the recorded lockfile (npm ci in ${dirname(folder) === "." ? "the repository root" : dirname(folder)}), then pack again.`,
    );
  }
  return listTree(join(root, folder), `app/${folder}`, linkStaysInside);
}

function gitOf(run: RunManifest) {
  if (!run.git?.available) throw new Error("unreachable: checked in checkRunIsPackable");
  return run.git;
}

function dockerignore(secrets: string[]): string {
  return ["# Written by mlx pack: never send these to a builder.", ".git", ".mlx", "**/.env", "**/.npmrc", ...secrets].join("\n") + "\n";
}

function mtimeOf(run: RunManifest): number {
  return Math.floor(Date.parse(run.createdAt) / 1000);
}

function dedupe(entries: TarEntry[]): TarEntry[] {
  const seen = new Map<string, TarEntry>();
  for (const e of entries) seen.set(e.name, e);
  return [...seen.values()];
}


/** Writes the members, then SHA256SUMS over all of them, to a temp file; fsync; rename. */
async function writeBundle(target: string, members: TarEntry[], mtime: number, deps: PackDeps): Promise<{ path: string; sizeBytes: number; sha256: string }> {
  const temp = tempPathFor(target);
  deps.temps.add(temp);
  const out: WriteStream = createWriteStream(temp, { flags: "wx", mode: 0o644, highWaterMark: 8 << 20 });
  const failed = new Promise<never>((_, reject) => out.on("error", reject));
  failed.catch(() => undefined);
  const tee = new PassThrough({ highWaterMark: 8 << 20 });
  const digest = createHash("sha256");
  tee.on("data", (chunk: Buffer) => digest.update(chunk));
  tee.pipe(out);
  const writer = new TarWriter(tee, mtime, (n) => deps.progress.bytes("writing bundle", n));
  try {
    const sums: string[] = [];
    for (const member of members) {
      const sha = await Promise.race([writer.add(member), failed]);
      sums.push(`${sha}  ${member.name}\n`);
    }
    await writer.add({ name: SUMS, source: { kind: "data", data: Buffer.from(sums.join("")) }, mode: 0o644 });
    await writer.finish();
    tee.end();
    await Promise.race([new Promise<void>((r) => out.on("finish", () => r())), failed]);
    const handle = await open(temp, "r");
    await handle.sync();
    await handle.close();
    await rename(temp, target);
    deps.temps.delete(temp);
    await syncFolder(dirname(target));
    return { path: target, sizeBytes: (await stat(target)).size, sha256: digest.digest("hex") };
  } catch (error) {
    out.destroy();
    await rm(temp, { force: true });
    deps.temps.delete(temp);
    if (error instanceof MemberChangedError) {
      const what = error.member.startsWith("data/") ? `input ${error.member.slice(5)}` : error.member;
      throw new BadInputError(`${what} changed since capture (${error.message.replace(/^.*changed: /, "")})`, "Restore the data the run read, or capture it again. No bundle was written.");
    }
    if ((error as NodeJS.ErrnoException).code === "ENOSPC") {
      throw new EnvironmentError(`no space left writing ${basename(target)} in ${dirname(target)}`, "Free space there or choose another folder with -o. No bundle was written.", { cause: error });
    }
    throw error;
  }
}
