// JSON Schema of bundle.yaml (kind: Bundle): what a bundle holds and how replay runs it. Replay validates
// it before using anything in a bundle; types.ts derives BundleManifest from it.
import * as Type from "@sinclair/typebox/type";
import { API_VERSION, DRAFT_07, closed, dateTime, runId, sha256, stringEnum } from "./schema-parts.js";

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
      baseImage: Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9._/:@-]*$" }),
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
