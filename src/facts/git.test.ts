import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, gitMaybe, gitToFile } from "./git.js";

let repo: string;
beforeAll(async () => {
  repo = await mkdtemp(join(tmpdir(), "mlx-git-"));
  const run = (...args: string[]): string => execFileSync("git", args, { cwd: repo, encoding: "utf8" });
  run("init", "-q", "-b", "main");
  run("config", "user.email", "test@example.com");
  run("config", "user.name", "Test");
  // Settings that would change git's output if git() did not neutralise them.
  run("config", "diff.noprefix", "true");
  run("config", "color.ui", "always");
  await writeFile(join(repo, "a.txt"), "one\n");
  run("add", "a.txt");
  run("commit", "-qm", "first");
  await writeFile(join(repo, "a.txt"), "two\n");
});
afterAll(async () => rm(repo, { recursive: true, force: true }));

describe("git", () => {
  it("returns stdout as bytes and feeds stdin", async () => {
    const sha = await git(["hash-object", "--stdin"], { cwd: repo, input: Buffer.from("x\n") });
    expect(sha.toString().trim()).toMatch(/^[0-9a-f]{40}$/);
  });

  it("writes a plain a/ b/ diff whatever the user's config says", async () => {
    const diff = (await git(["diff"], { cwd: repo })).toString();
    expect(diff).toContain("--- a/a.txt\n+++ b/a.txt\n");
    expect(diff).not.toContain("\u001b[");
  });

  it("rejects with git's own words, naming the subcommand", async () => {
    await expect(git(["rev-parse", "--verify", "no-such-ref"], { cwd: repo })).rejects.toThrow(/^git rev-parse: fatal: /);
  });

  it("passes env on top of the inherited one", async () => {
    const name = await git(["var", "GIT_AUTHOR_IDENT"], { cwd: repo, env: { GIT_AUTHOR_NAME: "Somebody Else" } });
    expect(name.toString()).toContain("Somebody Else");
  });
});

describe("gitMaybe", () => {
  it.each([
    ["trimmed text for a ref that exists", ["rev-parse", "--abbrev-ref", "HEAD"], "main"],
    ["null for one that does not", ["rev-parse", "--verify", "-q", "nope^{commit}"], null],
  ])("gives %s", async (_name, args, expected) => {
    expect(await gitMaybe(args, { cwd: repo })).toBe(expected);
  });
});

describe("gitToFile", () => {
  it("writes stdout straight to the file", async () => {
    const file = join(repo, ".git", "work.patch");
    await gitToFile(["diff"], { cwd: repo }, file);
    expect(await readFile(file, "utf8")).toContain("-one\n+two\n");
  });

  it("rejects with git's stderr when git fails", async () => {
    const file = join(repo, ".git", "out.patch");
    await expect(gitToFile(["diff", "no-such-ref"], { cwd: repo }, file)).rejects.toThrow(/^git diff: fatal: /);
  });
});
