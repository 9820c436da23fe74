#!/usr/bin/env node
// bench/group: a search's overhead and a group bundle's size, each against a baseline from the same run.
//  1. N trials (--trials, default 20) of a trivial script at concurrency 2 under `mlx capture --config` vs
//     the same N commands through `xargs -P 2` (target <= 1.2x at 20, <= 1.3x at 1,000), interleaved,
//     wall and CPU (user + sys of the whole process tree) medians; from 200 trials on, also the mean
//     interval between trial ends over the first 100 and the last 100 trials (target: within 10%), and
//     the cost of each trial's working copy;
//  2. at 20 trials only: the group's bundle vs a single-run bundle of the same code (target <= 1.05x plus records).
//   node bench/group.mjs [--trials 1000] [--runs 3] [--baseline /tmp/before/bin/mlx]
// With --baseline, that build's mlx runs too, interleaved (xargs, baseline, mlx, ...), on the same spec.
// Needs a build; part 2 needs Docker (bash scripts/setup-docker.sh).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { MLX, makeRepo, mib } from "./lib.mjs";

const { values } = parseArgs({
  options: { trials: { type: "string", default: "20" }, runs: { type: "string" }, baseline: { type: "string" } },
});
const trials = Number(values.trials);
const runs = Number(values.runs ?? (trials > 100 ? 1 : 3));
if (!Number.isInteger(trials) || trials < 1 || !Number.isInteger(runs) || runs < 1)
  throw new Error("--trials and --runs take whole numbers");

/** Wall ms and CPU ms (user + sys of the command and everything it waited for), through GNU time. */
function timed(command, cwd) {
  const argv = typeof command === "string" ? ["sh", "-c", command] : command;
  const start = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%U %S", ...argv], {
    cwd,
    encoding: "utf8",
    maxBuffer: 1 << 30,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const [user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
  return { ms, cpuMs: (user + sys) * 1000 };
}
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const medianOf = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The mean interval between consecutive trial ends, over the first 100 and the last 100 trials of the newest group. */
function intervals(repo, mlx) {
  const id = JSON.parse(execFileSync(mlx, ["ls", "--json"], { cwd: repo, encoding: "utf8" })).groups[0].id;
  const group = JSON.parse(execFileSync(mlx, ["show", id, "--json"], { cwd: repo, encoding: "utf8", maxBuffer: 1 << 30 }));
  const ends = group.trials
    .map((t) => Date.parse(parse(readFileSync(join(repo, ".mlx", "runs", t.runId, "manifest.yaml"), "utf8")).outcome.endedAt))
    .sort((a, b) => a - b);
  const gaps = ends.slice(1).map((e, i) => e - ends[i]);
  const n = Math.min(100, Math.floor(gaps.length / 2));
  return { first: mean(gaps.slice(0, n)), last: mean(gaps.slice(-n)), n };
}

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
      `num_trials: ${trials}`,
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
  writeFileSync(join(repo, "values.txt"), Array.from({ length: trials }, (_, i) => ((2 * i) / trials - 1).toFixed(4)).join("\n") + "\n");
  const builds = [...(values.baseline ? [["baseline mlx", values.baseline]] : []), ["mlx capture --config", MLX]];
  const times = { xargs: [], ...Object.fromEntries(builds.map(([label]) => [label, []])) };
  const gaps = Object.fromEntries(builds.map(([label]) => [label, []]));
  for (let i = 0; i < runs; i++) {
    times.xargs.push({ ...timed("xargs -P 2 -n 1 node trial.cjs < values.txt > /dev/null", repo), load: load() });
    for (const [label, mlx] of builds) {
      rmSync(join(repo, ".mlx"), { recursive: true, force: true }); // each search starts from an empty store
      times[label].push({ ...timed([mlx, "capture", "--config", "s.yaml"], repo), load: load() });
      if (trials >= 200) gaps[label].push(intervals(repo, mlx));
    }
  }
  console.log(`${trials} trials of a trivial script, concurrency 2 (${runs} run(s) each, interleaved; median wall and CPU ms)`);
  const base = times.xargs;
  for (const [label, list] of Object.entries(times)) {
    const wall = medianOf(list.map((t) => t.ms));
    const cpu = medianOf(list.map((t) => t.cpuMs));
    const ratio =
      label === "xargs"
        ? ""
        : `  ${(wall / medianOf(base.map((t) => t.ms))).toFixed(2)}x wall, ${(cpu / medianOf(base.map((t) => t.cpuMs))).toFixed(2)}x CPU`;
    console.log(
      `  ${(label === "xargs" ? "xargs -P 2 (baseline)" : label).padEnd(24)} wall ${wall.toFixed(0).padStart(7)}  ` +
        `cpu ${cpu.toFixed(0).padStart(7)}${ratio}   load ${list.map((t) => t.load).join(" | ")}`,
    );
  }
  console.log(`  target: mlx/xargs wall <= ${trials >= 1000 ? "1.3" : "1.2"}x`);
  for (const [label, list] of Object.entries(gaps)) {
    if (list.length === 0) continue;
    const first = medianOf(list.map((g) => g.first));
    const last = medianOf(list.map((g) => g.last));
    console.log(
      `  ${label}: mean interval between trial ends, first ${list[0].n} ${first.toFixed(1)} ms, last ${list[0].n} ${last.toFixed(1)} ms: ` +
        `last/first ${(last / first).toFixed(2)} (target within 10%: 0.90-1.10)`,
    );
  }
  const mlxWall = medianOf(times["mlx capture --config"].map((t) => t.ms));

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
        `copied and removed in ${perTrial.toFixed(1)} ms a trial (${(((perTrial * trials) / mlxWall) * 100).toFixed(1)}% of the search)`,
    );
    rmSync(join(root, ".mlx", "work", "bench"), { recursive: true, force: true });
    if (root !== repo) rmSync(root, { recursive: true, force: true });
  }
  // The bundle comparison is for the 20-trial search.
  if (trials === 20) {
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
      `\ngroup bundle ${mib(groupBundle.sizeBytes)} MiB (${groupBundle.members} members) ` +
        `vs single-run bundle ${mib(single.sizeBytes)} MiB: ` +
        `${(groupBundle.sizeBytes / single.sizeBytes).toFixed(4)}x; the difference, ${(records / 1024).toFixed(0)} KiB, ` +
        "is the 19 other trials' records and the group record",
    );
  }
} finally {
  rmSync(repo, { recursive: true, force: true });
}
