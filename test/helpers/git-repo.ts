import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { tempDir } from "./mlx.js";

export function gitIn(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function writeFiles(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), data);
  }
}

/** A real git repository in a temp folder: user set, the given files committed (unless none). */
export async function makeRepo(files: Record<string, string | Uint8Array> = { "README.md": "hello\n" }) {
  const dir = await tempDir("mlx-repo-");
  gitIn(dir.path, "init", "-q", "-b", "main");
  gitIn(dir.path, "config", "user.email", "test@example.com");
  gitIn(dir.path, "config", "user.name", "Test");
  if (Object.keys(files).length > 0) {
    writeFiles(dir.path, files);
    gitIn(dir.path, "add", "-A");
    gitIn(dir.path, "commit", "-qm", "initial");
  }
  return dir;
}
