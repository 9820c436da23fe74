import { describe, expect, it } from "vitest";
import type { TarEntry } from "../bundle/tar-writer.js";
import { BadInputError } from "../errors.js";
import type { RunManifest } from "../record/types.js";
import { type BundlePlan, bundleManifestFor } from "./bundle-manifest.js";

const IMAGE_ID = `sha256:${"e".repeat(64)}`;
const RUN = {
  id: "20261123-150752-1a2b3c",
  createdAt: "2026-11-23T15:07:52.000Z",
  command: { argv: ["node", "train.js", "--epochs", "5"], redactedArgs: [], shell: false, cwd: "examples/iris" },
} as unknown as RunManifest; // only these fields are read

const file = (name: string): TarEntry => ({ name, source: { kind: "data", data: Buffer.from("x") }, mode: 0o644 });
const link = (name: string, target: string): TarEntry => ({ name, source: { kind: "symlink", target }, mode: 0o777 });

function plan(over: Partial<BundlePlan> = {}): BundlePlan {
  return {
    run: RUN,
    runIds: [RUN.id],
    mlxVersion: "0.1.0",
    imageId: IMAGE_ID,
    imageSaved: true,
    baseImage: "node:20.20.2-bookworm-slim",
    context: [file("Dockerfile"), file("app/train.js")],
    vendored: true,
    data: [{ path: "data/x.csv", sizeBytes: 3, sha256: "c".repeat(64) }],
    ...over,
  };
}

describe("bundleManifestFor", () => {
  it("describes the bundle: source date, runs, image, command in the image's working folder, data", () => {
    expect(bundleManifestFor(plan())).toEqual({
      apiVersion: "mlx/v1",
      kind: "Bundle",
      created: "2026-11-23T15:07:52.000Z",
      mlxVersion: "0.1.0",
      runs: [RUN.id],
      image: { id: IMAGE_ID, file: "image.tar", baseImage: "node:20.20.2-bookworm-slim", dependencies: "image" },
      command: { argv: ["node", "train.js", "--epochs", "5"], workdir: "/app/examples/iris" },
      data: [{ path: "data/x.csv", sizeBytes: 3, sha256: "c".repeat(64) }],
      links: [],
    });
  });

  it.each([
    ["vendored, image saved", { vendored: true, imageSaved: true }, "image", "image.tar"],
    ["vendored, --no-image", { vendored: true, imageSaved: false }, "context", null],
    ["nothing vendored, image saved", { vendored: false, imageSaved: true }, "none", "image.tar"],
    ["nothing vendored, --no-image", { vendored: false, imageSaved: false }, "none", null],
  ])("says where the dependencies are: %s", (_, over, dependencies, imageFile) => {
    const { image } = bundleManifestFor(plan(over));
    expect(image.dependencies).toBe(dependencies);
    expect(image.file).toBe(imageFile);
  });

  it.each([
    ["no link", [file("app/a.js")], []],
    [
      "links under context/, files not",
      [file("app/a.js"), link("app/node_modules/.bin/tool", "../tool/cli.js"), link("app/current", "a.js")],
      [
        { path: "context/app/node_modules/.bin/tool", target: "../tool/cli.js" },
        { path: "context/app/current", target: "a.js" },
      ],
    ],
  ])("lists the build context's links: %s", (_, context, links) => {
    expect(bundleManifestFor(plan({ context })).links).toEqual(links);
  });

  it.each([
    ["a single run", {}, undefined, [RUN.id]],
    ["a search group", { groupId: "20261123-160000-abcdef", runIds: ["r1", "r2", "r3"] }, "20261123-160000-abcdef", ["r1", "r2", "r3"]],
  ])("names %s", (_, over, group, runs) => {
    const manifest = bundleManifestFor(plan(over));
    expect(manifest.group).toBe(group);
    expect("group" in manifest).toBe(group !== undefined);
    expect(manifest.runs).toEqual(runs);
  });

  it.each([
    ["an image id that is no digest", { imageId: "latest" }, /\/image\/id/],
    ["a data path that climbs out", { data: [{ path: "../etc/passwd", sizeBytes: 1, sha256: "c".repeat(64) }] }, /\/data\/0\/path/],
  ])("refuses to describe %s (exit 2, the schema's pointer)", (_, over, message) => {
    expect(() => bundleManifestFor(plan(over))).toThrow(BadInputError);
    expect(() => bundleManifestFor(plan(over))).toThrow(message);
  });
});
