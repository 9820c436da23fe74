#!/usr/bin/env node
// bench/store: `mlx ls`, `mlx show <id>` and `mlx show latest` at 10, 1,000 and 10,000 runs, each against
// `node -e 0` in the same run, interleaved; then the first `mlx ls` after the index is deleted (its rebuild)
// and the cost of one index append at the largest size.
//   node bench/store.mjs [--sizes 10,1000,10000] [--runs 7] [--baseline /tmp/before/bin/mlx]
// With --baseline, that build's mlx is timed too, interleaved with this one, on the same stores.
// Run from a built checkout (npm run build). The store is one real captured run copied under new ids.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeRepo } from "./lib.mjs";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "10,1000,10000" },
    runs: { type: "string", default: "7" },
    baseline: { type: "string" },
  },
});
const sizes = values.sizes.split(",").map(Number);
const runs = Number(values.runs);
const builds = { mlx: MLX, ...(values.baseline ? { before: values.baseline } : {}) };

// One real run, captured with params, tags and final metrics, as the template of every copy.
const repo = makeRepo("mlx-bench-store-", {
  "train.mjs": "console.log('loss=0.25'); console.log('accuracy=0.9');\n",
  ".gitignore": ".mlx/\n",
});
execFileSync(MLX, ["capture", "--name", "bench", "--param", "lr=0.01", "--tag", "bench", "--", "node", "train.mjs"], {
  cwd: repo,
  stdio: "ignore",
});
const runsDir = join(repo, ".mlx", "runs");
const [templateId] = readdirSync(runsDir);
const template = join(runsDir, templateId);
const manifest = readFileSync(join(template, "manifest.yaml"), "utf8");

/** Ids as newRunId makes them: a millisecond stamp, then 6 hex characters. */
function idAt(i) {
  const iso = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}-${iso.slice(20, 23)}`;
  return `${stamp}-${(i % 0xffffff).toString(16).padStart(6, "0")}`;
}

function makeStore(n) {
  const dir = mkdtempSync(join(tmpdir(), `mlx-bench-store-${n}-`));
  const ids = [];
  for (let i = 0; i < n; i++) {
    const id = idAt(i);
    const folder = join(dir, ".mlx", "runs", id);
    cpSync(template, folder, { recursive: true });
    writeFileSync(join(folder, "manifest.yaml"), manifest.replaceAll(templateId, id));
    ids.push(id);
  }
  return { dir, ids };
}

function time(argv, cwd) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status ?? r.signal ?? r.error}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

// Every store first, then rounds that go through every size and command in turn: the load of a shared
// machine drifts, and interleaving sizes as well as commands gives each the same share of it.
const stores = Object.fromEntries(sizes.map((n) => [n, makeStore(n)]));
const commands = {};
for (const n of sizes) {
  const { dir, ids } = stores[n];
  const middle = ids[Math.floor(n / 2)];
  commands[`${n}|node -e 0`] = [dir, ["node", "-e", "0"]];
  for (const [b, bin] of Object.entries(builds)) {
    commands[`${n}|${b} ls`] = [dir, [bin, "ls"]];
    commands[`${n}|${b} show <id>`] = [dir, [bin, "show", middle]];
    commands[`${n}|${b} show latest`] = [dir, [bin, "show", "latest"]];
  }
  time([MLX, "ls"], dir); // the first ls builds the index; the rebuild is timed apart below
}
const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
const loads = [];
for (let r = 0; r < runs; r++) {
  for (const [k, [dir, argv]] of Object.entries(commands)) samples[k].push(time(argv, dir));
  loads.push(load());
}
const results = {};
for (const n of sizes) {
  const { dir } = stores[n];
  const rebuild = [];
  for (let r = 0; r < (n >= 10000 ? 1 : 3); r++) {
    rmSync(join(dir, ".mlx", "index"), { recursive: true, force: true });
    rebuild.push(time([MLX, "ls"], dir));
  }
  results[n] = Object.fromEntries(
    Object.entries(samples)
      .filter(([k]) => k.startsWith(`${n}|`))
      .map(([k, v]) => [k.slice(k.indexOf("|") + 1), median(v)]),
  );
  results[n]["mlx ls, index deleted"] = median(rebuild);
  console.log(`\n${n} runs (median wall ms of ${runs} rounds over every size and command)`);
  for (const [k, v] of Object.entries(results[n])) console.log(`  ${k.padEnd(24)} ${v.toFixed(1)}`);
}
console.log(`\nload after each round: ${loads.join(" | ")}`);
appendCost(stores[Math.max(...sizes)].dir);
for (const { dir } of Object.values(stores)) rmSync(dir, { recursive: true, force: true });
rmSync(repo, { recursive: true, force: true });

const [small, large] = [Math.min(...sizes), Math.max(...sizes)];
console.log(`\nratios ${large}/${small} runs (target <= 1.3 for this build's ls, show <id>, show latest)`);
for (const k of Object.keys(results[small])) console.log(`  ${k.padEnd(24)} ${(results[large][k] / results[small][k]).toFixed(2)}`);
// On a busy machine the floor itself drifts between sizes: each time over `node -e 0` of its own block.
console.log(`\nratios ${large}/${small} runs of (time / node -e 0 in the same block), for a busy machine`);
const floor = (n, k) => results[n][k] / results[n]["node -e 0"];
for (const k of Object.keys(results[small])) console.log(`  ${k.padEnd(24)} ${(floor(large, k) / floor(small, k)).toFixed(2)}`);

/** One append of a run's row to an index of `large` lines, in process (median of 200). */
function appendCost(dir) {
  const script = `
    import { stat } from "node:fs/promises";
    import { appendRunIndex } from ${JSON.stringify(new URL("../dist/record/run-index.js", import.meta.url).href)};
    import { readRun } from ${JSON.stringify(new URL("../dist/record/run-store.js", import.meta.url).href)};
    const folder = process.argv[1];
    const m = await readRun(folder);
    const key = await stat(folder + "/manifest.yaml");
    const ms = [];
    for (let i = 0; i < 200; i++) {
      const t = process.hrtime.bigint();
      await appendRunIndex(folder, m, key);
      ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    ms.sort((a, b) => a - b);
    console.log(ms[100].toFixed(3));`;
  const r = spawnSync("node", ["--input-type=module", "-e", script, join(dir, ".mlx", "runs", idAt(0))], { encoding: "utf8" });
  if (r.status !== 0) return console.log(`  one index append: not measured (${r.stderr.trim().split("\n")[0]})`);
  const out = r.stdout;
  console.log(`\none index append (writeRun's extra cost) at ${Math.max(...sizes)} runs, median of 200: ${out.trim()} ms (load ${load()})`);
}
