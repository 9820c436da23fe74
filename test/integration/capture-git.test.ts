import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { gitIn, makeRepo, writeFiles } from "../helpers/git-repo.js";
import { runMlx, tempDir } from "../helpers/mlx.js";

async function captureIn(cwd: string, extra: string[] = []) {
  const r = await runMlx(["capture", ...extra, "--", "true"], { cwd });
  expect(r.exitCode, String(r.stderr)).toBe(0);
  const runs = (await readdir(join(cwd, ".mlx", "runs"))).sort();
  const folder = join(cwd, ".mlx", "runs", runs.at(-1)!);
  return { folder, manifest: parse(await readFile(join(folder, "manifest.yaml"), "utf8")), stderr: String(r.stderr) };
}

/** The tree id of a folder's content as git sees it (untracked included, .mlx left out), without touching its index. */
function treeOf(dir: string): string {
  const index = join(dir, "..", `.tree-index-${process.pid}-${Math.random()}`);
  const env = { ...process.env, GIT_INDEX_FILE: index };
  execFileSync("git", ["add", "-A", "--", "."], { cwd: dir, env });
  execFileSync("git", ["rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", ".mlx"], { cwd: dir, env });
  const tree = execFileSync("git", ["write-tree"], { cwd: dir, env, encoding: "utf8" }).trim();
  execFileSync("rm", ["-f", index]);
  return tree;
}

/** Clones `repo` at `commit` (or starts empty), applies the recorded patch, returns the clone. */
async function rebuild(repo: string, commit: string | null, patch: string | null): Promise<string> {
  const clone = await mkdtemp(join(tmpdir(), "mlx-clone-"));
  if (commit) {
    gitIn(clone, "init", "-q");
    gitIn(clone, "fetch", "-q", repo, commit);
    gitIn(clone, "checkout", "-q", commit);
  } else {
    gitIn(clone, "init", "-q");
  }
  if (patch) gitIn(clone, "apply", "--binary", "--whitespace=nowarn", patch);
  return clone;
}

describe("mlx capture: git", () => {
  it("records a patch of every uncommitted change that rebuilds the exact tree on a fresh clone", async () => {
    await using repo = await makeRepo({
      "train.js": "console.log(1)\n",
      "data/keep.bin": Buffer.from([0, 1, 2, 255]),
      "old.txt": "gone soon\n",
    });
    writeFiles(repo.path, {
      "train.js": "console.log(2)\n", // modified
      "new dir/ünïcode name.txt": "untracked\n", // untracked, odd name
      "data/keep.bin": Buffer.from([9, 0, 0, 7, 255, 254]), // binary modified
      "weights.bin": Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 256)), // binary untracked
      "staged.txt": "staged only\n",
      ".gitignore": "ignored.log\n",
      "ignored.log": "never recorded\n",
    });
    gitIn(repo.path, "add", "staged.txt");
    await rm(join(repo.path, "old.txt"));
    const stagedBefore = gitIn(repo.path, "ls-files", "--stage");

    const { manifest } = await captureIn(repo.path);
    const git = manifest.git;
    expect(git).toMatchObject({ available: true, branch: "main", dirty: true, remote: null, excluded: [] });
    expect(git.commit).toBe(gitIn(repo.path, "rev-parse", "HEAD"));
    expect(gitIn(repo.path, "ls-files", "--stage")).toBe(stagedBefore); // the user's index is untouched

    const patchPath = join(repo.path, ".mlx", "runs", manifest.id, git.patch.file);
    expect(readFileSync(patchPath, "utf8")).not.toContain("never recorded");
    const clone = await rebuild(repo.path, git.commit, patchPath);
    try {
      expect(treeOf(clone)).toBe(treeOf(repo.path)); // ignored.log is ignored in both
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it("takes a repository with no commits yet: the patch starts from the empty tree", async () => {
    await using repo = await makeRepo({});
    writeFiles(repo.path, { "a.py": "print(1)\n", "sub/b.txt": "b\n" });
    const { manifest, folder } = await captureIn(repo.path);
    expect(manifest.git).toMatchObject({ available: true, commit: null, dirty: true });
    const clone = await rebuild(repo.path, null, join(folder, manifest.git.patch.file));
    try {
      expect(treeOf(clone)).toBe(treeOf(repo.path));
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it("records a clean tree as clean, with no patch", async () => {
    await using repo = await makeRepo();
    await writeFile(join(repo.path, ".gitignore"), ".mlx/\n");
    gitIn(repo.path, "add", ".gitignore");
    gitIn(repo.path, "commit", "-qm", "ignore");
    const { manifest, folder } = await captureIn(repo.path);
    expect(manifest.git).toMatchObject({ dirty: false, patch: null });
    expect(existsSync(join(folder, "git.patch"))).toBe(false);
  });

  it("reads the commit from packed refs and from a detached HEAD", async () => {
    await using repo = await makeRepo();
    gitIn(repo.path, "pack-refs", "--all");
    const head = gitIn(repo.path, "rev-parse", "HEAD");
    expect((await captureIn(repo.path)).manifest.git).toMatchObject({ commit: head, branch: "main" });
    gitIn(repo.path, "checkout", "-q", "--detach");
    expect((await captureIn(repo.path)).manifest.git).toMatchObject({ commit: head, branch: null });
  });

  it("works outside git, saying why there is no code state", async () => {
    await using dir = await tempDir();
    const { manifest } = await captureIn(dir.path);
    expect(manifest.git.available).toBe(false);
    expect(manifest.git.reason).toMatch(/not a git repository/);
  });

  it("strips credentials from the remote and never copies git config", async () => {
    await using repo = await makeRepo();
    gitIn(repo.path, "remote", "add", "origin", "https://alice:ghp_FAKEtoken@github.com/o/r.git");
    gitIn(repo.path, "config", "http.extraheader", "AUTHORIZATION: bearer xyzSECRET");
    const { manifest, folder } = await captureIn(repo.path);
    expect(manifest.git.remote).toBe("https://github.com/o/r.git");
    const files = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(2);
    for (const file of files) expect(readFileSync(join(file.parentPath, file.name), "utf8")).not.toMatch(/ghp_FAKE|xyzSECRET/);
  });

  it("leaves secret-looking and large untracked files out of the patch, with a warning for each", async () => {
    await using repo = await makeRepo();
    writeFiles(repo.path, {
      ".env": "API_KEY=FAKE\n",
      id_rsa: "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKE\n",
      "keys/key.pem": "-----BEGIN PRIVATE KEY-----\n",
      "big.bin": Buffer.alloc(4096, 7),
      "small.txt": "kept\n",
    });
    const { manifest, folder, stderr } = await captureIn(repo.path, ["--max-untracked-size", "1k"]);
    const excluded = Object.fromEntries(manifest.git.excluded.map((e: { path: string; reason: string }) => [e.path, e]));
    expect(Object.keys(excluded).sort()).toEqual([".env", "big.bin", "id_rsa", "keys/key.pem"]);
    expect(excluded["big.bin"]).toMatchObject({ reason: "too-large", sizeBytes: 4096 });
    expect(excluded["big.bin"].sha256).toMatch(/^[0-9a-f]{64}$/);
    const patch = readFileSync(join(folder, "git.patch"), "utf8");
    expect(patch).toContain("small.txt");
    expect(patch).not.toMatch(/PRIVATE|API_KEY|big\.bin/);
    expect(stderr).toContain("untracked .env looks like a secret");
    expect(stderr).toContain("untracked big.bin (4096 bytes) is over --max-untracked-size");
  });

  it("records lockfiles with sha256, a node_modules fingerprint, and declared inputs and outputs", async () => {
    await using repo = await makeRepo({ "package.json": "{}\n" });
    writeFiles(repo.path, {
      "package-lock.json": '{"lockfileVersion": 3}\n',
      "requirements.txt": "numpy==2.0.0\n",
      "node_modules/left-pad/package.json": '{"name":"left-pad","version":"1.3.0"}',
      "node_modules/@scope/x/package.json": '{"name":"@scope/x","version":"2.0.0"}',
      "data/train.csv": "a,b\n1,2\n",
      "data/test.csv": "a,b\n3,4\n",
    });
    const r = await runMlx(["capture", "--input", "data", "--output", "out.txt", "--", "sh", "-c", "echo result > out.txt"], {
      cwd: repo.path,
    });
    expect(r.exitCode).toBe(0);
    const show = JSON.parse(String((await runMlx(["show", "latest", "--json"], { cwd: repo.path })).stdout));
    expect(show.dependencies.lockfiles.map((l: { path: string }) => l.path)).toEqual(["package-lock.json", "requirements.txt"]);
    expect(show.dependencies.nodeModules).toMatchObject({ available: true, count: 2, source: "node_modules" });
    const copy = join(repo.path, ".mlx", "runs", show.id, show.dependencies.lockfiles[0].copy);
    expect(readFileSync(copy, "utf8")).toBe('{"lockfileVersion": 3}\n');
    expect(show.inputs[0]).toMatchObject({ path: "data", kind: "dir", sizeBytes: 16 });
    expect(show.inputs[0].files.map((f: { path: string }) => f.path)).toEqual(["data/test.csv", "data/train.csv"]);
    expect(show.outputs[0]).toMatchObject({ path: "out.txt", kind: "file", sizeBytes: 7 });
  });

  it("refuses an input outside the repository with exit 2 and no record", async () => {
    await using repo = await makeRepo();
    await using other = await tempDir();
    await mkdir(join(other.path, "d"));
    const r = await runMlx(["capture", "--input", join(other.path, "d"), "--", "true"], { cwd: repo.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toContain("is outside the repository root");
    expect(existsSync(join(repo.path, ".mlx"))).toBe(false);
  });
});
