import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { checkBundleDockerfile } from "../bundle/dockerfile.js";
import { claimImage, type ImageClaim } from "../bundle/image-claim.js";
import { checkImageArchive } from "../bundle/image-archive.js";
import { untagStream } from "../bundle/untag-stream.js";
import { CONTEXT_DIR } from "../bundle/layout.js";
import { listTree } from "../bundle/list-tree.js";
import type { OpenBundle } from "../bundle/read-bundle.js";
import { sortEntries, type TarEntry, tarStreamOf } from "../bundle/tar-writer.js";
import type { DockerClient } from "../docker/docker-client.js";
import { BadInputError, EnvironmentError } from "../errors.js";
import { linkStaysInside } from "../primitives/paths.js";
import type { OnProgress } from "../primitives/progress-event.js";
import { stillPresent, type StreamLoad } from "./stream-load.js";

export interface ProvideImageDeps {
  docker: DockerClient;
  step: (line: string) => void;
  /** The load's progress: bytes of image.tar sent, of its size. */
  progress?: OnProgress;
}

/**
 * The image to run, by id: loaded from image.tar (checked, untagged), or built from context/ with
 * `build` (only the Dockerfile mlx renders from the record, with no network). Without `claimed`,
 * `loaded` is told the id of an image this call put into the engine, for the caller to remove. With
 * `claimed`, the image is shared with concurrent replays of the same bundle: the caller gets a claim
 * and releases it instead (the last replay out removes what mlx loaded), and `loaded` is not called.
 * An image refused after loading is removed before the error is thrown. With `stream`, image.tar
 * went to the engine (or nowhere, the engine having the image) while the bundle was verified: the
 * load is finished here, under the claim, instead of read from the folder.
 */
export async function provideImage(
  opened: OpenBundle,
  build: boolean,
  deps: ProvideImageDeps,
  loaded: (id: string) => void,
  claimed?: (claim: ImageClaim) => void,
  stream?: StreamLoad,
): Promise<string> {
  const { manifest } = opened;
  const provide = async (id: string, make: () => Promise<string>): Promise<string> => {
    if (!claimed) {
      const made = await make();
      if (made !== "present") loaded(id);
      return id;
    }
    const claim = await claimImage(
      id,
      async () => (await make()) !== "present",
      (i) => deps.docker.removeImage(i),
    );
    claimed(claim);
    return id;
  };
  if (manifest.image.file && !build) {
    const { repoTags } = checkImageArchive(opened.imageFiles, manifest.image.id);
    const mode = opened.imageExtracted ? "none" : stream?.mode();
    if (mode === "streaming") return provide(manifest.image.id, () => stream!.finish(opened));
    if (mode === "present") return provide(manifest.image.id, () => stillPresent(deps.docker, manifest.image.id));
    return provide(manifest.image.id, () => loadChecked(opened, repoTags, deps));
  }
  if (manifest.image.dependencies === "image") {
    throw new BadInputError(
      "this bundle keeps its dependencies only inside image.tar, so its context cannot be rebuilt",
      "Replay without --build, or ask for a bundle packed with --no-image.",
    );
  }
  await checkBundleDockerfile(opened);
  const base = manifest.image.baseImage;
  if ((await deps.docker.imageId(base)) === null)
    throw new EnvironmentError(
      `base image ${base} is not in the Docker engine, and no registry is asked`,
      "Build it offline with: mlx base-image build (or docker pull it where a registry answers), then replay again.",
    );
  const context = tarStreamOf(await contextEntries(opened), 0);
  deps.step("building the image from the bundled context and the Dockerfile rendered from the record (no network)");
  const id = await deps.docker.build(context, {
    labels: { "org.mlx.rebuilt-from": manifest.runs[0]! },
    network: "none",
    onStep: (l) => deps.step(`  ${l}`),
  });
  // Builds of one context may give one id: a concurrent replay may share (and must not lose) it.
  await provide(id, async () => "built");
  if (id !== manifest.image.id)
    deps.step(`rebuilt image ${id} differs from the packed ${manifest.image.id} (builders stamp times); running the rebuilt one`);
  return id;
}

/** Loads image.tar unless the engine has the image already; "present" when it had. */
async function loadChecked(opened: OpenBundle, repoTags: readonly string[], deps: ProvideImageDeps): Promise<"present" | "loaded"> {
  const { manifest, folder } = opened;
  const id = manifest.image.id;
  if ((await deps.docker.imageId(id)) !== null) return "present";
  const file = join(folder, manifest.image.file!);
  // An archive with tags could replace an image the reviewer has under that tag: it is re-emitted
  // without them. One without (what pack writes) loads as is.
  const tagged = repoTags.length > 0;
  deps.step(`loading ${manifest.image.file}${tagged ? ` (its tags ${repoTags.join(", ")} stripped)` : ""}; it runs by id`);
  const { progress } = deps;
  const total = progress ? (await stat(file)).size : 0;
  const step = "loading image";
  try {
    progress?.({ step, done: 0, total });
    const archive = tagged ? untaggedFile(file) : createReadStream(file, { highWaterMark: 1 << 20 });
    await deps.docker.load(archive, progress && ((done) => progress({ step, done, total })));
    progress?.({ step, done: total, total, end: true });
    if ((await deps.docker.imageId(id)) === null)
      throw new BadInputError(`loading image.tar did not give image ${id}`, "The bundle's image is corrupt; ask for a new bundle.");
  } catch (error) {
    // The archive was checked to describe only this image: whatever the engine kept of it goes.
    await deps.docker.removeImage(id);
    throw error;
  }
  return "loaded";
}

/** An image.tar file re-emitted without the tags it carries (it was checked already: its end goes out at once). */
function untaggedFile(file: string): Readable {
  const untag = untagStream();
  untag.release();
  createReadStream(file, { highWaterMark: 1 << 20 })
    .on("error", (error) => untag.input.destroy(error))
    .pipe(untag.input);
  return untag.output;
}

/** The bundle's context/ as a build context: its files, and its links only when they stay inside it. */
async function contextEntries(opened: OpenBundle): Promise<TarEntry[]> {
  const files = (await listTree(join(opened.folder, CONTEXT_DIR), ".", () => false)).map((e) => ({ ...e, name: e.name.slice(2) }));
  const links = opened.manifest.links.map((l): TarEntry => {
    const rel = l.path.replace(/^context\//, "");
    if (!linkStaysInside(rel, l.target))
      throw new BadInputError(`bundle link ${l.path} -> ${l.target} leaves the context`, "Do not use this bundle.");
    return { name: rel, source: { kind: "symlink", target: l.target }, mode: 0o777 };
  });
  return sortEntries([...files, ...links]);
}
