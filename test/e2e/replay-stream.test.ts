// image.tar streamed into a real engine while the bundle is verified: what a failed verification
// leaves (nothing), and what a tagged archive names (nothing).
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { runMlx } from "../helpers/mlx.js";
import { type ReviewerBundle, reviewerBundle, tamper } from "../helpers/reviewer-bundle.js";

const ready = dockerReady();
const VICTIM = "mlx-e2e-stream-victim:latest";
const STREAMED = /^loading image\.tar into the engine as it is verified/m;

const images = (): string[] => docker("images", "-aq", "--no-trunc").split("\n").filter(Boolean).sort();

/** image.tar's manifest.json replaced by `edit` of it: the archive unpacked and packed again. */
function editManifest(dir: string, edit: (images: Array<Record<string, unknown>>) => unknown): void {
  const archive = join(dir, "image.tar");
  const unpacked = join(dir, "image.d");
  execFileSync("mkdir", ["-p", unpacked]);
  execFileSync("tar", ["-xf", archive, "-C", unpacked]);
  const manifest = JSON.parse(readFileSync(join(unpacked, "manifest.json"), "utf8")) as Array<Record<string, unknown>>;
  writeFileSync(join(unpacked, "manifest.json"), JSON.stringify(edit(manifest)));
  execFileSync("sh", ["-c", `cd "${unpacked}" && tar -cf "${archive}" *`]);
  execFileSync("rm", ["-r", unpacked]);
}

describe.skipIf(!ready)("replay streams image.tar into the engine as it verifies (real Docker engine)", () => {
  let reviewer: ReviewerBundle;
  let bundle: string;
  let imageId: string;
  let baseImage: string;
  let runId: string;

  beforeAll(async () => {
    reviewer = await reviewerBundle(2);
    ({ bundle, imageId } = reviewer);
    const manifest = execFileSync("tar", ["-xOf", bundle, "bundle.yaml"], { encoding: "utf8" });
    baseImage = /baseImage: (\S+)/.exec(manifest)![1]!;
    runId = /runs:\n\s+- (\S+)/.exec(manifest)![1]!;
  }, 300_000);
  afterAll(async () => {
    await reviewer?.[Symbol.asyncDispose]();
    if (!ready) return;
    spawnSync("docker", ["rmi", VICTIM], { stdio: "ignore" });
    // The replays run with --keep keep their containers: other tests count the engine's replay containers.
    const kept = docker("ps", "-aq", "--filter", `label=org.mlx.replay-of=${runId}`).split("\n").filter(Boolean);
    if (kept.length > 0) docker("rm", "-f", ...kept);
  });

  it("leaves no new image when a byte of the streamed image.tar does not match SHA256SUMS (which comes last): exit 2", async () => {
    // A loadable archive (an extra member the engine ignores) that only SHA256SUMS tells apart.
    const crafted = join(reviewer.folder, "changed-byte.tar");
    tamper(
      bundle,
      crafted,
      (dir) => {
        appendFileSync(join(dir, "extra"), "x");
        execFileSync("tar", ["-rf", join(dir, "image.tar"), "-C", dir, "extra"]);
        execFileSync("rm", [join(dir, "extra")]);
      },
      false,
    );
    const before = images();
    const r = await runMlx(["replay", crafted, "--out", join(reviewer.folder, "r-byte")]);
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(STREAMED);
    expect(String(r.stderr)).toMatch(/bundle member image\.tar is corrupt/);
    expect(images().filter((id) => !before.includes(id))).toEqual([]);
    expect(() => docker("image", "inspect", imageId)).toThrow();
  }, 180_000);

  it("loads a tagged image.tar untagged: the reviewer's tag keeps its image, and the loaded one goes afterwards", async () => {
    docker("tag", baseImage, VICTIM);
    const victim = docker("image", "inspect", "--format", "{{.Id}}", VICTIM);
    const crafted = join(reviewer.folder, "tagged.tar");
    tamper(bundle, crafted, (dir) => editManifest(dir, (m) => m.map((i) => ({ ...i, RepoTags: [VICTIM] }))));
    const before = images();
    const out = join(reviewer.folder, "r-tagged");
    const r = await runMlx(["replay", crafted, "--out", out, "--keep"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(STREAMED);
    expect(docker("image", "inspect", "--format", "{{.Id}}", VICTIM)).toBe(victim);
    // Kept (--keep): loaded by id, with no name at all.
    expect(docker("image", "inspect", "--format", "{{json .RepoTags}}", imageId)).toBe("[]");
    docker("rmi", "-f", imageId);
    expect(images().filter((id) => !before.includes(id))).toEqual([]);
  }, 180_000);

  it("hashes image.tar only, writing none of it, when the engine has the image already; the image stays", async () => {
    execFileSync("sh", ["-c", `tar -xOf ${bundle} image.tar | docker load -q`]);
    const out = join(reviewer.folder, "r-present");
    const r = await runMlx(["replay", bundle, "--out", out, "--keep"]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).not.toMatch(/^loading /m);
    const kept = execFileSync("find", [out, "-name", "image.tar"], { encoding: "utf8" });
    expect(kept).toBe("");
    expect(docker("image", "inspect", "--format", "{{.Id}}", imageId)).toBe(imageId);
    docker("rmi", "-f", imageId);
  }, 180_000);
});
