#!/usr/bin/env node
// bench/replay: `mlx replay` of the iris example bundle vs the bare baseline of `docker load` +
// `docker run` of the same image and command, each starting with the image absent; and the time
// from the command to the first log line. Needs Docker and a build.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeRepo, measure } from "./lib.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const runs = Number(values.runs);
const example = new URL("../examples/iris/", import.meta.url).pathname;
const repo = makeRepo("mlx-bench-replay-", { ".gitignore": "node_modules\nmodel/\nmetrics.json\n*.tar\nimage/\nreplay-*/\n" });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function firstLineMs(argv, cwd) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ["ignore", "pipe", "ignore"] });
    let first = null;
    child.stdout.on("data", () => (first ??= Number(process.hrtime.bigint() - start) / 1e6));
    child.on("exit", (code) => (code === 0 ? resolve(first) : reject(new Error(`${argv.join(" ")} exited ${code}`))));
  });
}

try {
  for (const f of ["train.js", "package.json", "package-lock.json", "run.yaml"]) copyFileSync(join(example, f), join(repo, f));
  symlinkSync(join(example, "node_modules"), join(repo, "node_modules"));
  execFileSync("sh", ["-c", "git add -A && git commit -qm example"], { cwd: repo });
  execFileSync(MLX, ["capture", "--config", "run.yaml"], { cwd: repo, stdio: "ignore" });
  const { imageId } = JSON.parse(execFileSync(MLX, ["pack", "--json", "-o", "bundle.tar"], { cwd: repo, encoding: "utf8" }));
  execFileSync("sh", ["-c", "mkdir -p image && tar -xf bundle.tar -C image image.tar"], { cwd: repo });
  // The same image and command, seed and params, with none of mlx's checks, hardening or comparison.
  const env = `-e MLX_SEED=42 -e 'MLX_PARAMS={"epochs":40,"lr":0.05,"hidden":16}' -e NODE_OPTIONS='--require /opt/mlx/preload.cjs'`;
  const run = `docker run --rm --network none ${env} -w /app ${imageId} node train.js`;
  const base = [];
  const mlx = [];
  const firstBase = [];
  const firstMlx = [];
  for (let i = 0; i < runs; i++) {
    execFileSync("sh", ["-c", `docker rmi -f ${imageId} >/dev/null 2>&1 || true`]);
    base.push(measure(`docker load -q -i image/image.tar >/dev/null && ${run} >/dev/null`, repo).ms);
    execFileSync("sh", ["-c", `docker rmi -f ${imageId} >/dev/null 2>&1 || true`]);
    mlx.push(measure([MLX, "replay", "bundle.tar", "--out", `replay-${i}`], repo).ms);
    execFileSync("sh", ["-c", `docker rmi -f ${imageId} >/dev/null 2>&1 || true`]);
    firstBase.push(await firstLineMs(["sh", "-c", `docker load -q -i image/image.tar >/dev/null && ${run}`], repo));
    execFileSync("sh", ["-c", `docker rmi -f ${imageId} >/dev/null 2>&1 || true`]);
    firstMlx.push(await firstLineMs([MLX, "replay", "bundle.tar", "--out", `replay-first-${i}`], repo));
  }
  console.log(`iris example, ${runs} runs each, image absent before every run; median wall ms`);
  console.log(`  docker load + docker run (baseline)  ${median(base).toFixed(0)}`);
  console.log(`  mlx replay                           ${median(mlx).toFixed(0)}`);
  console.log(`  ratio mlx/baseline: ${(median(mlx) / median(base)).toFixed(3)}x (target <= 1.1x)`);
  console.log(`  first log line: baseline ${median(firstBase).toFixed(0)} ms, mlx replay ${median(firstMlx).toFixed(0)} ms`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
