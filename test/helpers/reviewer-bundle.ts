// The reviewer's side of the e2e tests: the example captured and packed by a researcher, the image
// removed from the engine, the bundle alone in an unrelated folder; and an attacker's tampering.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { docker } from "./docker.js";
import { makeExampleRepo } from "./example-repo.js";
import { runMlx, tempDir } from "./mlx.js";

export interface ReviewerBundle extends AsyncDisposable {
  /** The researcher's repository (its record is under .mlx/). */
  repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  /** The reviewer's folder, holding bundle.tar (and any extra bundles packed). */
  folder: string;
  bundle: string;
  imageId: string;
  runId: string;
}

/** Captures the iris example for `epochs`, packs it (with `packArgs`), and hands the bundle to a reviewer. */
export async function reviewerBundle(epochs: number, packArgs: readonly string[] = []): Promise<ReviewerBundle> {
  const repo = await makeExampleRepo();
  const elsewhere = await tempDir("mlx-reviewer-");
  const captured = await runMlx(["capture", "--config", "run.yaml", "--param", `epochs=${epochs}`], { cwd: repo.path });
  expect(captured.exitCode, String(captured.stderr)).toBe(0);
  const packed = await runMlx(["pack", "--json", ...packArgs], { cwd: repo.path });
  expect(packed.exitCode, String(packed.stderr)).toBe(0);
  const { imageId, runId } = JSON.parse(String(packed.stdout)) as { imageId: string; runId: string };
  docker("rmi", "-f", imageId); // the reviewer's engine lacks it: replay must load it (and remove it again)
  const bundle = join(elsewhere.path, "bundle.tar");
  renameSync(join(repo.path, "bundle.tar"), bundle);
  return {
    repo,
    folder: elsewhere.path,
    bundle,
    imageId,
    runId,
    [Symbol.asyncDispose]: async () => {
      await repo[Symbol.asyncDispose]();
      await elsewhere[Symbol.asyncDispose]();
    },
  };
}

/**
 * Rebuilds a bundle after `edit` changed its extracted folder, with SHA256SUMS recomputed (the
 * attacker controls everything) unless `recomputeSums` is false.
 */
export function tamper(bundle: string, out: string, edit: (dir: string) => void, recomputeSums = true): void {
  const dir = `${out}.d`;
  execFileSync("mkdir", ["-p", dir]);
  execFileSync("tar", ["-xf", bundle, "-C", dir]);
  edit(dir);
  const files = execFileSync("find", [".", "-type", "f", "!", "-name", "SHA256SUMS"], { cwd: dir, encoding: "utf8" })
    .trim()
    .split("\n")
    .map((f) => f.slice(2))
    .sort();
  if (recomputeSums) {
    const sha = (f: string): string =>
      createHash("sha256")
        .update(readFileSync(join(dir, f)))
        .digest("hex");
    writeFileSync(join(dir, "SHA256SUMS"), files.map((f) => `${sha(f)}  ${f}\n`).join(""));
  }
  execFileSync("tar", ["-cf", out, "-C", dir, ...files, "SHA256SUMS"]);
}
