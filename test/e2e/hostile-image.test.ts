// Hostile image archives and Dockerfiles, and two replays of one bundle at once, against a real engine.
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { runMlx } from "../helpers/mlx.js";
import { type ReviewerBundle, reviewerBundle, tamper } from "../helpers/reviewer-bundle.js";

const ready = dockerReady();
const VICTIM = "mlx-e2e-victim:latest";

const images = (): string[] => docker("images", "-aq", "--no-trunc").split("\n").filter(Boolean).sort();

describe.skipIf(!ready)("hostile bundles (real Docker engine)", () => {
  let reviewer: ReviewerBundle;
  let elsewhere: { path: string };
  let bundle: string;
  let noImage: string;
  let imageId: string;
  let baseImage: string;

  beforeAll(async () => {
    reviewer = await reviewerBundle(2);
    ({ bundle, imageId } = reviewer);
    elsewhere = { path: reviewer.folder };
    expect((await runMlx(["pack", "--no-image", "-o", "no-image.tar"], { cwd: reviewer.repo.path })).exitCode).toBe(0);
    noImage = join(elsewhere.path, "no-image.tar");
    renameSync(join(reviewer.repo.path, "no-image.tar"), noImage);
    baseImage = /baseImage: (\S+)/.exec(execFileSync("tar", ["-xOf", bundle, "bundle.yaml"], { encoding: "utf8" }))![1]!;
  }, 300_000);
  afterAll(async () => {
    await reviewer?.[Symbol.asyncDispose]();
    if (ready) spawnSync("docker", ["rmi", VICTIM], { stdio: "ignore" }); // absent when the first test did not get far
  });

  it("refuses an image.tar whose second manifest.json (over 4 MiB) tags an image the reviewer has: exit 2, nothing changed", async () => {
    docker("tag", baseImage, VICTIM);
    const victim = docker("image", "inspect", "--format", "{{.Id}}", VICTIM);
    const crafted = join(elsewhere.path, "two-manifests.tar");
    tamper(bundle, crafted, (dir) => {
      const manifest = JSON.parse(execFileSync("tar", ["-xOf", join(dir, "image.tar"), "manifest.json"], { encoding: "utf8" }));
      const second = join(dir, "second");
      execFileSync("mkdir", ["-p", second]);
      const text = JSON.stringify(manifest.map((m: object) => ({ ...m, RepoTags: [VICTIM] })));
      writeFileSync(join(second, "manifest.json"), text + " ".repeat(5 * 1024 * 1024));
      execFileSync("tar", ["-rf", join(dir, "image.tar"), "-C", second, "manifest.json"]);
      execFileSync("rm", ["-r", second]);
    });
    const before = images();
    const r = await runMlx(["replay", crafted, "--out", join(elsewhere.path, "r1")]);
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/image.tar holds 2 members named "manifest.json"/);
    expect(docker("image", "inspect", "--format", "{{.Id}}", VICTIM)).toBe(victim);
    expect(images().filter((id) => !before.includes(id))).toEqual([]);
    expect(() => docker("image", "inspect", imageId)).toThrow();
  }, 120_000);

  it("--build refuses a Dockerfile with a RUN line added, before any build", async () => {
    const crafted = join(elsewhere.path, "run-added.tar");
    tamper(noImage, crafted, (dir) => {
      const file = join(dir, "context", "Dockerfile");
      writeFileSync(file, readFileSync(file, "utf8").replace("COPY app/", "RUN echo pwned > /pwned\nCOPY app/"));
    });
    const r = await runMlx(["replay", crafted, "--build", "--out", join(elsewhere.path, "r2")]);
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/context\/Dockerfile is not the Dockerfile mlx renders from the bundle's record/);
    expect(String(r.stderr)).not.toMatch(/building the image|Step 1/);
  }, 120_000);

  it("two replays of one bundle at once both reproduce, and afterwards its image is gone", async () => {
    // The second starts once the first has loaded the image: it finds the image present and uses it
    // while the first, done sooner, gives it back. Neither may remove it under the other.
    const first = runMlx(["replay", bundle, "--json", "--out", join(elsewhere.path, "c1")]);
    const deadline = Date.now() + 60_000;
    while (spawnSync("docker", ["image", "inspect", imageId], { stdio: "ignore" }).status !== 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    const second = runMlx(["replay", bundle, "--json", "--out", join(elsewhere.path, "c2")]);
    const [a, b] = await Promise.all([first, second]);
    expect(a.exitCode, String(a.stderr)).toBe(0);
    expect(b.exitCode, String(b.stderr)).toBe(0);
    expect(() => docker("image", "inspect", imageId)).toThrow();
  }, 300_000);
});
