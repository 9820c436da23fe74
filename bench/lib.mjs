// Shared by the benchmarks: timing, peak memory, temp repositories.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const MLX = new URL("../bin/mlx", import.meta.url).pathname;

/** Runs a command (through sh when a string); returns wall ms and peak RSS in KiB (GNU time). */
export function measure(command, cwd) {
  const argv = typeof command === "string" ? ["sh", "-c", command] : command;
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...argv], { cwd, encoding: "utf8", maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const rssKiB = Number(r.stderr.trim().split("\n").pop());
  return { ms, rssKiB, stdout: r.stdout };
}

/** A git repository in a temp folder with `files` committed. */
export function makeRepo(prefix, files = { "README.md": "bench\n" }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const git = (...args) => execFileSync("git", args, { cwd: dir, stdio: "ignore" });
  git("init", "-q");
  git("config", "user.email", "bench@example.com");
  git("config", "user.name", "bench");
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  git("add", "-A");
  git("commit", "-qm", "bench");
  return dir;
}

export const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
