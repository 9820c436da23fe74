// The base image of a bundle's image: taken from the engine, pulled from its configured registry when
// missing, and pinned, so that a rebuild from the bundle's Dockerfile starts from the identical base.

import type { DockerClient, PullEvent } from "../docker/docker-client.js";
import { EnvironmentError } from "../errors.js";
import type { PackProgress } from "./pack-run.js";

export interface BaseImagePin {
  /** The image as asked for (--base-image or the default), e.g. node:20.20.2-bookworm-slim. */
  tag: string;
  /** What the Dockerfile's FROM names: repo@sha256:<digest> when the registry's digest is known, else the tag. */
  ref: string;
  /** The image's id (its config digest) in this engine. */
  imageId: string;
  /** The registry's manifest digest (sha256:...), or null for an image no registry ever served. */
  digest: string | null;
  /** "digest": FROM names the digest; "image-id": built offline (mlx base-image build), only its id is recorded. */
  pinnedBy: "digest" | "image-id";
  pulled: boolean;
}

/** A pull's progress as the engine reports it, per layer: the CLI folds it into one step ("pulling <ref>"). */
export interface PullListener {
  onEvent(event: PullEvent): void;
  /** Once, when the pull has finished. */
  end(): void;
}

/**
 * The base image, in the engine: pulled with progress when missing (exit 3 with the offline next step
 * when no registry gives it), then pinned by the digest the registry gave for the tag's repository.
 */
export async function provideBaseImage(docker: DockerClient, tag: string, progress: PackProgress): Promise<BaseImagePin> {
  let info = await docker.inspectImage(tag);
  let pulled = false;
  if (info === null) {
    progress.step(`base image ${tag} is not in the engine: pulling it from the engine's registry`);
    const listener = progress.pull?.(tag);
    try {
      await docker.pull(tag, (event) => listener?.onEvent(event));
    } catch (error) {
      if (!(error instanceof EnvironmentError)) throw error;
      throw new EnvironmentError(
        `base image ${tag} is not in the Docker engine, and no registry gave it (${error.message})`,
        "Build it offline with: mlx base-image build (or docker pull it where a registry answers), or choose one with --base-image.",
        { cause: error },
      );
    }
    listener?.end();
    info = await docker.inspectImage(tag);
    if (info === null) throw new EnvironmentError(`docker pull ${tag} ended without the image`, "Check the engine's log.");
    pulled = true;
  }
  const digest = digestFor(tag, info.repoDigests);
  const pin: BaseImagePin = digest
    ? { tag, ref: `${repositoryOf(tag)}@${digest}`, imageId: info.id, digest, pinnedBy: "digest", pulled }
    : { tag, ref: tag, imageId: info.id, digest: null, pinnedBy: "image-id", pulled };
  progress.step(
    pin.pinnedBy === "digest"
      ? `base image ${pin.ref}${pulled ? " (pulled)" : ""}`
      : `base image ${tag} (${info.id.slice(0, 19)}, built offline: pinned by image id only)`,
  );
  return pin;
}

/** The repository part of an image reference: "127.0.0.1:5000/node:20" -> "127.0.0.1:5000/node"; a digest is dropped too. */
export function repositoryOf(ref: string): string {
  const name = ref.split("@")[0]!;
  const colon = name.lastIndexOf(":");
  return colon > name.lastIndexOf("/") ? name.slice(0, colon) : name;
}

/** The digest of `ref`'s repository among the image's RepoDigests; docker.io/library/ and docker.io/ are the same repository. */
export function digestFor(ref: string, repoDigests: readonly string[]): string | null {
  const given = /@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (given) return given[1]!;
  const want = familiar(repositoryOf(ref));
  for (const entry of repoDigests) {
    const at = entry.lastIndexOf("@");
    const digest = entry.slice(at + 1);
    if (at > 0 && familiar(entry.slice(0, at)) === want && /^sha256:[0-9a-f]{64}$/.test(digest)) return digest;
  }
  return null;
}

function familiar(repository: string): string {
  return repository.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "").replace(/^library\//, "");
}
