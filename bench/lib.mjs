// Shared by the benchmarks: timing, peak memory, temp repositories.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

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

/**
 * A node_modules folder of about `totalMiB` under `dir`, shaped like an installed TensorFlow.js:
 * ~150 packages (each with its package.json) of many small files (log-normal sizes, median ~3 KB,
 * as in examples/iris/node_modules) and, for half the bytes, a few large native libraries.
 * Sizes come from a fixed seed; contents are random bytes. Returns { files, bytes }.
 */
export function makeNodeModules(dir, totalMiB = 300) {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) + 0.5) / 2 ** 31;
  const normal = () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
  const total = totalMiB * 2 ** 20;
  const natives = [0.3, 0.15, 0.05].map((share) => Math.floor(total * share));
  let bytes = 0;
  let files = 0;
  const write = (path, size) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(size));
    bytes += size;
    files++;
  };
  const packages = 150;
  for (let p = 0; p < packages; p++) {
    const pkg = join(dir, "node_modules", p % 10 === 0 ? `@scope${p}/pkg${p}` : `pkg${p}`);
    writeFileSync(join((mkdirSync(pkg, { recursive: true }), pkg), "package.json"), JSON.stringify({ name: `pkg${p}`, version: "1.0.0" }));
    files++;
  }
  const smallTotal = total - natives.reduce((a, b) => a + b, 0);
  for (let i = 0; bytes < smallTotal; i++) {
    const size = Math.min(4 << 20, Math.round(3000 * Math.exp(1.6 * normal())));
    const p = Math.floor(random() * packages);
    const pkg = p % 10 === 0 ? `@scope${p}/pkg${p}` : `pkg${p}`;
    write(join(dir, "node_modules", pkg, ["lib", "dist", "src", "dist/esm"][i % 4], `f${i}.js`), size);
  }
  natives.forEach((size, i) => write(join(dir, "node_modules", "pkg1", "deps", "lib", `libnative${i}.so`), size));
  return { files, bytes };
}
