#!/usr/bin/env node
// bench/group: a search's overhead and a group bundle's size, each against a baseline from the same run.
//  1. 20 trials of a trivial script at concurrency 2 under `mlx capture --config` vs the same 20
//     commands through `xargs -P 2` (target <= 1.2x), and the cost of each trial's working copy;
//  2. the group's bundle vs a single-run bundle of the same code (target <= 1.05x plus records).
// Needs a build; part 2 needs Docker (bash scripts/setup-docker.sh).
import { execFileSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MLX, makeRepo, measure, mib } from "./lib.mjs";

// x from MLX_PARAMS (under mlx) or from argv (under xargs): the same work either way.
const script =
  "const x = process.argv[2] !== undefined ? Number(process.argv[2]) : JSON.parse(process.env.MLX_PARAMS).x;\n" +
  "console.log('score=' + -((x - 0.3) ** 2));\n";
const repo = makeRepo("mlx-bench-group-", { "trial.cjs": script, ".gitignore": "*.tar\n" });
try {
  writeFileSync(
    join(repo, "s.yaml"),
    [
      "name: bench",
      "kind: group",
      "num_trials: 20",
      "sampler: random",
      "seed: 1",
      "concurrency: 2",
      "param_space:",
      "  x: uniform(-1, 1)",
      "metric:",
      "  name: score",
      "run: node trial.cjs",
      "",
    ].join("\n"),
  );
  writeFileSync(join(repo, "values.txt"), Array.from({ length: 20 }, (_, i) => (i / 10 - 1).toFixed(1)).join("\n") + "\n");
  const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = [];
  const mlx = [];
  for (let i = 0; i < 3; i++) {
    base.push(measure("xargs -P 2 -n 1 node trial.cjs < values.txt > /dev/null", repo).ms);
    mlx.push(measure([MLX, "capture", "--config", "s.yaml"], repo).ms);
  }
  console.log("20 trials of a trivial script, concurrency 2 (3 runs each, median wall ms)");
  console.log(`  xargs -P 2 (baseline)     ${medianOf(base).toFixed(0)}`);
  console.log(`  mlx capture --config      ${medianOf(mlx).toFixed(0)}`);
  console.log(`  ratio mlx/baseline: ${(medianOf(mlx) / medianOf(base)).toFixed(2)}x (target <= 1.2x)`);

  // Where a trial's time goes beyond its command: its own copy of the tree (made for every trial).
  const { listTreeFiles, createTrialWorkdir, removeTrialWorkdir } = await import("../dist/group/trial-workdir.js");
  for (const [label, root] of [
    ["this bench's repository", repo],
    [
      "a repository of 500 files of 4 KiB",
      makeRepo("mlx-bench-tree-", Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`m${i}.js`, "x".repeat(4096)]))),
    ],
  ]) {
    let started = performance.now();
    const files = await listTreeFiles(root, existsSync(join(root, ".git")));
    const listMs = performance.now() - started;
    started = performance.now();
    for (let i = 0; i < 20; i++) {
      const dest = join(root, ".mlx", "work", "bench", `${i}-0`);
      await createTrialWorkdir(root, files, [], dest);
      await removeTrialWorkdir(dest);
    }
    const perTrial = (performance.now() - started) / 20;
    console.log(
      `  a trial's working copy, ${label}: ${files.length} files, listed once in ${listMs.toFixed(1)} ms, ` +
        `copied and removed in ${perTrial.toFixed(1)} ms a trial (${(((perTrial * 20) / medianOf(mlx)) * 100).toFixed(1)}% of the search)`,
    );
    rmSync(join(root, ".mlx", "work", "bench"), { recursive: true, force: true });
    if (root !== repo) rmSync(root, { recursive: true, force: true });
  }

  const group = JSON.parse(execFileSync(MLX, ["ls", "--json"], { cwd: repo, encoding: "utf8" })).groups[0];
  const groupBundle = JSON.parse(
    execFileSync(MLX, ["pack", group.id, "-o", "group.tar", "--json"], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  const one = JSON.parse(execFileSync(MLX, ["show", group.id, "--json"], { cwd: repo, encoding: "utf8" })).best.runId;
  const single = JSON.parse(
    execFileSync(MLX, ["pack", one, "-o", "single.tar", "--json"], { cwd: repo, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
  );
  const records = groupBundle.sizeBytes - single.sizeBytes;
  console.log(
    `\ngroup bundle ${mib(groupBundle.sizeBytes)} MiB (${groupBundle.members} members) vs single-run bundle ${mib(single.sizeBytes)} MiB: ` +
      `${(groupBundle.sizeBytes / single.sizeBytes).toFixed(4)}x; the difference, ${(records / 1024).toFixed(0)} KiB, ` +
      "is the 19 other trials' records and the group record",
  );
} finally {
  rmSync(repo, { recursive: true, force: true });
}
