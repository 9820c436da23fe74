import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import { sha256File } from "../primitives/hash-paths.js";
import type { GitInfo } from "../record/types.js";
import { snapshotCode } from "./code-snapshot.js";

let base: string;
let repo: string;
let commit: string;
let patchPath: string;
let info: GitInfo;
const run = (...args: string[]): string => execFileSync("git", args, { cwd: repo, encoding: "utf8" }).trim();

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), "mlx-snapshot-"));
  repo = join(base, "repo");
  await mkdir(repo);
  run("init", "-q", "-b", "main");
  run("config", "user.email", "test@example.com");
  run("config", "user.name", "Test");
  await writeFile(join(repo, "train.js"), "console.log(1);\n");
  run("add", "-A");
  run("commit", "-qm", "first");
  commit = run("rev-parse", "HEAD");
  // The change the run had: an edit that is not committed, recorded as a patch.
  await writeFile(join(repo, "train.js"), "console.log(2);\n");
  patchPath = join(base, "git.patch");
  await writeFile(patchPath, run("diff", "--binary") + "\n");
  await writeFile(join(repo, "train.js"), "console.log(3); // the working tree as it is now\n");
  info = {
    commit,
    branch: "main",
    remote: null,
    dirty: true,
    excluded: [],
    patch: { file: "git.patch", sha256: await sha256File(patchPath), sizeBytes: 1 },
  };
});
afterAll(async () => rm(base, { recursive: true, force: true }));

async function snapshotInto(name: string, git: GitInfo, patch: string | null): Promise<string> {
  const dir = join(base, name);
  await mkdir(dir);
  await snapshotCode(repo, git, patch, dir);
  return dir;
}

describe("snapshotCode", () => {
  it("writes the recorded commit with the recorded patch applied, not the working tree", async () => {
    const dir = await snapshotInto("ok", info, patchPath);
    expect(await readFile(join(dir, "train.js"), "utf8")).toBe("console.log(2);\n");
  });

  it("writes the commit alone when the run had no changes", async () => {
    const dir = await snapshotInto("clean", { ...info, dirty: false, patch: null }, null);
    expect(await readFile(join(dir, "train.js"), "utf8")).toBe("console.log(1);\n");
  });

  it.each<[string, () => [GitInfo, string | null], RegExp]>([
    [
      "a commit the repository no longer has",
      () => [{ ...info, commit: "0".repeat(40) }, patchPath],
      /commit 0{40} of the run is no longer in the repository/,
    ],
    ["a patch that was edited", () => [{ ...info, patch: { ...info.patch!, sha256: "f".repeat(64) } }, patchPath], /git\.patch is changed/],
    ["a patch that is gone", () => [info, join(base, "missing.patch")], /git\.patch is missing/],
  ])("refuses %s with exit 2", async (name, inputs, message) => {
    const [git, patch] = inputs();
    const attempt = snapshotInto(`bad-${name.replace(/\W+/g, "-")}`, git, patch);
    await expect(attempt).rejects.toBeInstanceOf(BadInputError);
    await expect(attempt).rejects.toThrow(message);
  });

  it("names git's words when the patch does not apply to the commit", async () => {
    const other = join(base, "other.patch");
    await writeFile(other, "--- a/train.js\n+++ b/train.js\n@@ -1 +1 @@\n-nothing like this\n+x\n");
    const git = { ...info, patch: { ...info.patch!, sha256: await sha256File(other) } };
    await expect(snapshotInto("not-applying", git, other)).rejects.toThrow(
      /the recorded patch does not apply to commit [0-9a-f]{40}: error: patch failed: train\.js:1/,
    );
  });
});
