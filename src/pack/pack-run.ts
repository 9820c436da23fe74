import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ImageCompression } from "../bundle/compress-image.js";
import { CONTEXT_DIR, DATA_DIR } from "../bundle/layout.js";
import { MemberChangedError, tarStreamOf } from "../bundle/tar-writer.js";
import { writeBundle } from "../bundle/write-bundle.js";
import type { DockerClient } from "../docker/docker-client.js";
import { BadInputError } from "../errors.js";
import type { OnProgress } from "../primitives/progress-event.js";
import { findRoot, runsFolder } from "../record/run-folder.js";
import { readRun } from "../record/run-store.js";
import { buildContext } from "./build-context.js";
import { bundleManifestFor } from "./bundle-manifest.js";
import { bundleMembers, recordEntries } from "./bundle-members.js";
import { checkIncluded, checkInputs, checkMemberNames, checkOutput, checkSubmodulesIncluded } from "./check-paths.js";
import { checkCommandEntry, checkInterpreterStarts } from "./check-command.js";
import { checkRunIsPackable, checkSameCode, defaultBaseImage } from "./check-run.js";
import { listSubmodules } from "./code-snapshot.js";
import { provideBaseImage, type PullListener } from "./provide-base-image.js";
import { resolveTarget } from "./resolve-target.js";
import { saveImage } from "./save-image.js";

export interface PackOptions {
  readonly cwd: string;
  readonly runRef: string;
  readonly output: string;
  readonly baseImage?: string;
  readonly noImage: boolean;
  readonly includes: readonly string[];
  readonly allowFailed: boolean;
  readonly force: boolean;
  /** How image.tar stores the image's layers (absent: gzip, what `mlx pack` does unless told otherwise). */
  readonly compress?: ImageCompression;
  /** --sign: signs SHA256SUMS (an SSH signature); written into the bundle as SHA256SUMS.sig. */
  readonly sign?: (sums: Buffer) => Promise<Buffer>;
}

/** Lines saying what pack does, and the progress of its long steps; the CLI renders both (or neither, when quiet). */
export interface PackProgress {
  step(line: string): void;
  update: OnProgress;
  /** A base-image pull, its engine events passed on as they come (absent: not shown). */
  pull?(ref: string): PullListener;
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
 * Freezes one run (or a search group) into bundle.tar: checks, builds the image from the code as it
 * ran, saves it, and writes a deterministic archive through a temp file renamed only when complete.
 */
export async function packRun(options: PackOptions, deps: PackDeps): Promise<PackResult> {
  const { root } = await findRoot(options.cwd);
  const target = await resolveTarget(root, options.runRef);
  const runId = target.primary;
  const recordFolder = join(runsFolder(root), runId);
  const run = await readRun(recordFolder);
  const git = checkRunIsPackable(run, options.allowFailed);
  if (target.group) checkSameCode(run, await Promise.all(target.runIds.map((id) => readRun(join(runsFolder(root), id)))));
  await checkOutput(options.output, options.force);
  const baseTag = options.baseImage ?? defaultBaseImage(run);
  const inputs = await checkInputs(root, run);
  const includes = await Promise.all(options.includes.map((p) => checkIncluded(root, options.cwd, p)));
  checkSubmodulesIncluded(await listSubmodules(root, git, git.patch ? join(recordFolder, git.patch.file) : null), includes);
  checkMemberNames(inputs.map((i) => `${DATA_DIR}/${i.path}`));

  await deps.docker.ping();
  // Pulled when missing (exit 3 with the offline next step when no registry gives it); FROM names its digest.
  const base = await provideBaseImage(deps.docker, baseTag, deps.progress);
  const baseImage = base.ref;

  const scratch = await mkdtemp(join(tmpdir(), "mlx-pack-"));
  deps.temps.add(scratch);
  let imageFile: string | null = null;
  try {
    const plan = {
      root,
      run,
      git,
      recordFolder,
      baseImage,
      includes,
      inputs,
      mlxVersion: deps.mlxVersion,
      preloadPath: deps.preloadPath,
      scratch,
    };
    const context = await buildContext(plan, (line) => deps.progress.step(line));
    checkMemberNames(context.entries.map((e) => `${CONTEXT_DIR}/${e.name}`));
    // The command's script must be in the image's code (a git-ignored dist/ is not): exit 2 before building.
    const { argv, cwd } = run.command;
    const inputPaths = inputs.map((i) => i.path);
    const entry = await checkCommandEntry(argv, cwd, context.entries, inputPaths, root);
    const warnings = context.secretFiles.map((path) => `${path} looks like a secret: left out of the image and the bundle`);

    // The image, built through the Engine API from a context streamed from disk, then saved.
    deps.progress.step(`building the image on ${baseImage}`);
    let buildSteps = 0;
    const imageId = await deps.docker.build(tarStreamOf(context.entries, sourceDateOf(run.createdAt)), {
      labels: {}, // the Dockerfile carries the labels, so a rebuild from context/ has them too
      onStep: (line) => deps.progress.step(`  ${line}`),
      onProgress: (done, total) => deps.progress.update({ step: "building image", done, total: (buildSteps = total), unit: "steps" }),
    });
    deps.progress.update({ step: "building image", done: buildSteps, total: buildSteps, unit: "steps", end: true });
    deps.progress.step(`image ${imageId}`);
    // ... and its interpreter must start in the image, run as replay will run it: exit 2, no bundle, when not.
    const lockfiles = (run.dependencies?.lockfiles ?? []).map((l) => l.path);
    const runtime = await checkInterpreterStarts(deps.docker, entry, { imageId, baseImage, cwd, lockfiles });
    if (!options.noImage) imageFile = await saveImage(imageId, options.output, options.compress ?? "gzip", deps, warnings);

    // Dependencies are stored once: inside image.tar when there is one, else in context/.
    const bundled = imageFile ? context.entries.filter((e) => !context.vendored.has(e)) : context.entries;
    const manifest = bundleManifestFor({
      run,
      runIds: target.runIds,
      ...(target.group ? { groupId: target.group.id } : {}),
      mlxVersion: deps.mlxVersion,
      imageId,
      imageSaved: imageFile !== null,
      baseImage,
      base,
      ...(runtime ? { runtime } : {}),
      context: bundled,
      vendored: context.vendored.size > 0,
      data: inputs,
    });
    const image = imageFile ? { path: imageFile, sizeBytes: (await stat(imageFile)).size } : null;
    const members = bundleMembers({ root, manifest, context: bundled, records: await recordEntries(root, target), image });
    // The members' own bytes: the archive adds headers and padding, so the last percent is an estimate.
    const total = members.reduce((n, m) => n + ("sizeBytes" in m.source ? m.source.sizeBytes : 0), 0);
    deps.progress.update({ step: "writing bundle", done: 0, total });
    const written = await writeBundle(options.output, members, {
      mtimeSeconds: sourceDateOf(run.createdAt),
      onBytes: (n) => deps.progress.update({ step: "writing bundle", done: n, total }),
      temps: deps.temps,
      ...(options.sign ? { sign: options.sign } : {}),
    }).catch((error: unknown) => {
      throw error instanceof MemberChangedError ? changedSinceCapture(error) : error;
    });
    deps.progress.update({ step: "writing bundle", done: written.sizeBytes, total: written.sizeBytes, end: true });
    return { path: written.path, sizeBytes: written.sizeBytes, sha256: written.sha256, imageId, runId, members: written.members, warnings };
  } finally {
    // Whatever happened, no temp file stays: the saved image lives only inside a finished bundle.
    for (const temp of [scratch, imageFile]) {
      if (temp === null) continue;
      // Retries: a failed step may still have writes in flight into the scratch folder (ENOTEMPTY).
      await rm(temp, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }).catch(() => undefined); // keep the first error
      deps.temps.delete(temp);
    }
  }
}

/** The fixed mtime of every member and context entry: the run's capture time, so two packs give the same bytes. */
function sourceDateOf(createdAt: string): number {
  return Math.floor(Date.parse(createdAt) / 1000);
}

function changedSinceCapture(error: MemberChangedError): BadInputError {
  const data = `${DATA_DIR}/`;
  const what = error.member.startsWith(data) ? `input ${error.member.slice(data.length)}` : error.member;
  return new BadInputError(
    `${what} changed since capture (${error.message.replace(/^.*changed: /, "")})`,
    "Restore the data the run read, or capture it again. No bundle was written.",
    { cause: error },
  );
}
