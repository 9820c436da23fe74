// bundle.yaml: a pure function of what pack built, validated against the Bundle schema before it is written.

import { BUNDLE_MANIFEST, CONTEXT_DIR, IMAGE_ARCHIVE } from "../bundle/layout.js";
import { containerWorkdir } from "../bundle/image-layout.js";
import type { TarEntry } from "../bundle/tar-writer.js";
import { API_VERSION, type BundleManifest, type HashedFile, type RunManifest } from "../record/types.js";
import { validateBundle } from "../record/validate.js";
import type { ImageRuntime } from "../facts/environment-drift.js";

export interface BundlePlan {
  /** The run the image was built from: its capture time, command and working folder. */
  run: RunManifest;
  runIds: readonly string[];
  groupId?: string;
  mlxVersion: string;
  imageId: string;
  /** The image is saved into the bundle (not --no-image). */
  imageSaved: boolean;
  baseImage: string;
  /** How the base image is pinned (the tag asked for, its registry digest or only its id). */
  base?: { tag: string; digest: string | null; imageId: string; pinnedBy: "digest" | "image-id" };
  /** The image's facts, measured by running its interpreter in it (the replay side of the drift table). */
  runtime?: ImageRuntime;
  /** The build context entries the bundle holds under context/. */
  context: readonly TarEntry[];
  /** node_modules was vendored into the build (in the image, and in context/ when the image is left out). */
  vendored: boolean;
  data: readonly HashedFile[];
}

export function bundleManifestFor(plan: BundlePlan): BundleManifest {
  const manifest: BundleManifest = {
    apiVersion: API_VERSION,
    kind: "Bundle",
    created: plan.run.createdAt,
    mlxVersion: plan.mlxVersion,
    runs: [...plan.runIds],
    ...(plan.groupId === undefined ? {} : { group: plan.groupId }),
    image: {
      id: plan.imageId,
      file: plan.imageSaved ? IMAGE_ARCHIVE : null,
      baseImage: plan.baseImage,
      ...(plan.base
        ? { base: { tag: plan.base.tag, digest: plan.base.digest, imageId: plan.base.imageId, pinnedBy: plan.base.pinnedBy } }
        : {}),
      ...(plan.runtime ? { runtime: plan.runtime } : {}),
      dependencies: !plan.vendored ? "none" : plan.imageSaved ? "image" : "context",
    },
    command: { argv: [...plan.run.command.argv], workdir: containerWorkdir(plan.run.command.cwd) },
    data: [...plan.data],
    // Links are listed, never stored as members: replay recreates them only inside a build.
    links: plan.context.flatMap((e) =>
      e.source.kind === "symlink" ? [{ path: `${CONTEXT_DIR}/${e.name}`, target: e.source.target }] : [],
    ),
  };
  return validateBundle(manifest, BUNDLE_MANIFEST);
}
