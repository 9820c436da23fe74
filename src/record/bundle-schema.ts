// JSON Schema of bundle.yaml (kind: Bundle): what a bundle holds and how replay runs it. Replay validates
// it before using anything in a bundle; types.ts derives BundleManifest from it.
import * as Type from "@sinclair/typebox/type";
import { API_VERSION, DRAFT_07, closed, dateTime, dict, ofTypes, runId, sha256, stringEnum } from "./schema-parts.js";

/** Stricter than a Run's paths: a bundle is untrusted, so drive letters and backslashes are refused too. */
const relPath = Type.String({ pattern: "^(?!/)(?![A-Za-z]:)(?!.*(^|/)\\.\\.(/|$))(?!.*\\\\).+$" });

export const bundleSchema = closed(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("Bundle"),
    created: Type.String({ ...dateTime, description: "The source date: the run's capture time, so that two packs give the same bytes." }),
    mlxVersion: Type.String(),
    runs: Type.Array(runId, { minItems: 1, description: "Run ids; each record is under records/runs/<id>/." }),
    group: Type.Optional(
      Type.String({ ...runId, description: "A search group's id: its record is under records/groups/<id>/ and its trials are `runs`." }),
    ),
    image: closed({
      id: Type.String({
        pattern: "^sha256:[0-9a-f]{64}$",
        description: "The image's config digest: replay runs it by this id, never by a tag.",
      }),
      file: Type.Union([Type.Null(), Type.Literal("image.tar")], {
        description: "image.tar (docker save), or null when packed with --no-image (replay builds from context/).",
      }),
      baseImage: Type.String({
        pattern: "^[A-Za-z0-9][A-Za-z0-9._/:@-]*$",
        description: "What the Dockerfile's FROM names: repo@sha256:<digest> when pinned by digest, else the tag.",
      }),
      base: Type.Optional(
        closed(
          {
            tag: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._/:@-]*$", description: "The base image as asked for." }),
            digest: Type.Union([Type.Null(), Type.String({ pattern: "^sha256:[0-9a-f]{64}$" })], {
              description: "The registry's manifest digest of the tag, or null for an image built offline.",
            }),
            imageId: Type.String({ pattern: "^sha256:[0-9a-f]{64}$", description: "The base image's id in the packing engine." }),
            pinnedBy: stringEnum(["digest", "image-id"], {
              description: "digest: FROM names it; image-id: built offline (no registry digest), only its id pins it.",
            }),
          },
          { description: "The base image the image was built on, and how it is pinned." },
        ),
      ),
      runtime: Type.Optional(
        closed(
          {
            python: ofTypes(["string", "null"]),
            node: ofTypes(["string", "null"]),
            packages: dict(Type.String(), { description: "Key numeric Python packages (numpy, torch, ...) and nvidia-cudnn-*: version." }),
            torch: Type.Union([Type.Null(), closed({ version: Type.String(), cuda: ofTypes(["string", "null"]) })]),
            lockfiles: dict(ofTypes(["string", "null"]), { description: "Lockfile path -> its sha256 inside the image." }),
            env: dict(ofTypes(["string", "null"]), { description: "Thread and BLAS variables the image's own ENV sets." }),
          },
          { description: "Measured in the built image by running its interpreter once at pack; the replay side of the drift table." },
        ),
      ),
      dependencies: stringEnum(["image", "context", "none"], {
        description: "Where node_modules is: inside the image only, or vendored in context/ as well.",
      }),
    }),
    command: closed({
      argv: Type.Array(Type.String(), { minItems: 1 }),
      workdir: Type.String({ pattern: "^/app(/(?!\\.\\.(/|$))[^/]+)*$", description: "The working folder inside the container." }),
    }),
    data: Type.Array(closed({ path: relPath, sizeBytes: Type.Integer({ minimum: 0 }), sha256 }), {
      description: "Declared inputs, one line per file under data/, mounted read-only at /app/<path> by replay.",
    }),
    links: Type.Array(closed({ path: relPath, target: Type.String() }), {
      description: "Symbolic links of the build context: recreated only inside a build, never extracted.",
    }),
  },
  { $schema: DRAFT_07, $id: "https://mlx.dev/schema/bundle.schema.json", title: "mlx Bundle manifest" },
);
