#!/usr/bin/env node
// bench/capture-python: what `mlx capture` adds to a Python command, measured in one run against baselines.
//   node bench/capture-python.mjs [--runs N] [--python /usr/bin/python3]
// For `python -c pass` and `python -c "import numpy"` it prints medians of: the bare command, the bare
// command with only mlx's Python preload (sitecustomize.py seeding random, numpy at import), the command
// under a bare Node wrapper (the floor for any Node CLI), and under `mlx capture`; then the differences.
// The Python probe runs beside the command, so a trivial command waits for it: its own time is printed too.
// Run from a built checkout (npm run build) on a host with Debian's python3-numpy (scripts/setup-python.sh).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "11" }, python: { type: "string", default: "/usr/bin/python3" } },
});
const runs = Number(values.runs);
const python = values.python;
const here = new URL(".", import.meta.url).pathname;
const mlx = join(here, "..", "bin", "mlx");
const wrapper = join(here, "wrapper.mjs");
const preloadDir = join(here, "..", "dist", "sdk", "python");
const factsScript = join(here, "..", "dist", "facts", "python-facts.py");

// A small git repository, as a real project would be: mlx probes git, lockfiles and the system.
const repo = mkdtempSync(join(tmpdir(), "mlx-bench-py-"));
const git = (...args) => execFileSync("git", args, { cwd: repo, stdio: "ignore" });
git("init", "-q");
git("config", "user.email", "bench@example.com");
git("config", "user.name", "bench");
execFileSync("sh", ["-c", "echo .mlx/ > .gitignore && echo 'print(1)' > train.py"], { cwd: repo });
git("add", "-A");
git("commit", "-qm", "bench");

function time(argv, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: repo, stdio: "ignore", env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(label, command) {
  const rows = {
    bare: [command, {}],
    "bare+preload": [command, { PYTHONPATH: preloadDir, MLX_SEED: "1" }],
    wrapper: [["node", wrapper, ...command], {}],
    "mlx capture": [[mlx, "capture", "--", ...command], {}],
  };
  const samples = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, [argv, env]] of Object.entries(rows)) samples[k].push(time(argv, env)); // interleaved
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  console.log(`\n${label} (${runs} runs each, interleaved; median wall ms)`);
  for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(13)} ${v.toFixed(1)}`);
  console.log(`  preload - bare = ${(m["bare+preload"] - m.bare).toFixed(1)} ms  (ratio ${(m["bare+preload"] / m.bare).toFixed(3)})`);
  console.log(`  mlx - bare     = ${(m["mlx capture"] - m.bare).toFixed(1)} ms  (ratio ${(m["mlx capture"] / m.bare).toFixed(3)})`);
  console.log(`  mlx - wrapper  = ${(m["mlx capture"] - m.wrapper).toFixed(1)} ms  (mlx's own cost above the Node-CLI floor)`);
}

try {
  measure(`${python} -c pass`, [python, "-c", "pass"]);
  measure(`${python} -c "import numpy"`, [python, "-c", "import numpy"]);
  const probe = Array.from({ length: Math.min(runs, 5) }, () => time([python, factsScript]));
  console.log(`\nthe Python facts helper alone (${probe.length} runs; median wall ms): ${median(probe).toFixed(1)}`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
