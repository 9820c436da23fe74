import { createReadStream } from "node:fs";
import { join } from "node:path";
import { checkImageArchive, untaggedImageStream } from "../bundle/image-archive.js";
import { listTree } from "../bundle/list-tree.js";
import type { OpenBundle } from "../bundle/read-bundle.js";
import { sortEntries, type TarEntry, tarStreamOf } from "../bundle/tar-writer.js";
import type { DockerClient } from "../docker/docker-client.js";
import { BadInputError } from "../errors.js";
import { linkStaysInside } from "../primitives/paths.js";

export interface ProvideImageDeps {
  docker: DockerClient;
  step: (line: string) => void;
}

/**
 * The image to run, by id: loaded from image.tar (checked, untagged), or built from context/ with
 * `build`. `loaded` is told the id of an image this call put into the engine, so that the caller
 * removes it afterwards; an image the engine already had is left alone.
 */
export async function provideImage(
  opened: OpenBundle,
  build: boolean,
  deps: ProvideImageDeps,
  loaded: (id: string) => void,
): Promise<string> {
  const { manifest, folder } = opened;
  if (manifest.image.file && !build) {
    const file = join(folder, manifest.image.file);
    const { repoTags, hasRepositories } = checkImageArchive(opened.imageFiles, manifest.image.id);
    if ((await deps.docker.imageId(manifest.image.id)) === null) {
      // An archive with tags could replace an image the reviewer has under that tag: it is re-emitted
      // without them. One without (what pack writes) loads as is.
      const tagged = repoTags.length > 0 || hasRepositories;
      deps.step(`loading ${manifest.image.file}${tagged ? ` (its tags ${repoTags.join(", ")} stripped)` : ""}; it runs by id`);
      await deps.docker.load(tagged ? untaggedImageStream(file) : createReadStream(file, { highWaterMark: 1 << 20 }));
      loaded(manifest.image.id);
    }
    if ((await deps.docker.imageId(manifest.image.id)) === null) {
      throw new BadInputError(
        `loading image.tar did not give image ${manifest.image.id}`,
        "The bundle's image is corrupt; ask for a new bundle.",
      );
    }
    return manifest.image.id;
  }
  if (manifest.image.dependencies === "image") {
    throw new BadInputError(
      "this bundle keeps its dependencies only inside image.tar, so its context cannot be rebuilt",
      "Replay without --build, or ask for a bundle packed with --no-image.",
    );
  }
  deps.step("building the image from the bundled Dockerfile and context (no network)");
  const id = await deps.docker.build(tarStreamOf(await contextEntries(opened), 0), {
    labels: { "org.mlx.rebuilt-from": manifest.runs[0]! },
    onStep: (l) => deps.step(`  ${l}`),
  });
  loaded(id);
  if (id !== manifest.image.id)
    deps.step(`rebuilt image ${id} differs from the packed ${manifest.image.id} (builders stamp times); running the rebuilt one`);
  return id;
}

/** The bundle's context/ as a build context: its files, and its links only when they stay inside it. */
async function contextEntries(opened: OpenBundle): Promise<TarEntry[]> {
  const files = (await listTree(join(opened.folder, "context"), ".", () => false)).map((e) => ({ ...e, name: e.name.slice(2) }));
  const links = opened.manifest.links.map((l): TarEntry => {
    const rel = l.path.replace(/^context\//, "");
    if (!linkStaysInside(rel, l.target))
      throw new BadInputError(`bundle link ${l.path} -> ${l.target} leaves the context`, "Do not use this bundle.");
    return { name: rel, source: { kind: "symlink", target: l.target }, mode: 0o777 };
  });
  return sortEntries([...files, ...links]);
}
