#!/usr/bin/env node
// bench/capture: what `mlx capture` adds to a command, measured in one run against baselines.
//   node bench/capture.mjs [--trivial-runs N] [--cpu-runs N] [--cpu-rounds N]
// Prints medians of: the bare command, the command under a bare Node wrapper (the floor for any
// Node CLI), and under `mlx capture`; then the ratios. Run from a built checkout (npm run build).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    "trivial-runs": { type: "string", default: "21" },
    "cpu-runs": { type: "string", default: "3" },
    "cpu-rounds": { type: "string", default: "4.3e8" },
  },
});
const here = new URL(".", import.meta.url).pathname;
const mlx = join(here, "..", "bin", "mlx");
const wrapper = join(here, "wrapper.mjs");

// A small git repository, as a real project would be: mlx probes git, lockfiles and the system.
const repo = mkdtempSync(join(tmpdir(), "mlx-bench-"));
const git = (...args) => execFileSync("git", args, { cwd: repo, stdio: "ignore" });
git("init", "-q");
git("config", "user.email", "bench@example.com");
git("config", "user.name", "bench");
for (let i = 0; i < 50; i++) writeFileSync(join(repo, `file${i}.js`), `export const x = ${i};\n`.repeat(20));
writeFileSync(join(repo, ".gitignore"), ".mlx/\n");
git("add", "-A");
git("commit", "-qm", "bench");
writeFileSync(join(repo, "file0.js"), "// uncommitted change\n");

function time(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: repo, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(label, command, runs) {
  const rows = {
    bare: command,
    wrapper: ["node", wrapper, ...command],
    "mlx capture": [mlx, "capture", "--", ...command],
  };
  const samples = { bare: [], wrapper: [], "mlx capture": [] };
  for (let i = 0; i < runs; i++) for (const [k, argv] of Object.entries(rows)) samples[k].push(time(argv)); // interleaved
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  console.log(`\n${label} (${runs} runs each, interleaved; median wall ms)`);
  for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(12)} ${v.toFixed(1)}`);
  console.log(`  mlx - bare     = ${(m["mlx capture"] - m.bare).toFixed(1)} ms  (ratio ${(m["mlx capture"] / m.bare).toFixed(3)})`);
  console.log(`  mlx - wrapper  = ${(m["mlx capture"] - m.wrapper).toFixed(1)} ms  (mlx's own cost above the Node-CLI floor)`);
  return m;
}

try {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  measure("trivial: node -e 0", ["node", "-e", "0"], Number(values["trivial-runs"]));
  // A command that lasts: the probes finish while it runs, leaving start-up and the final record.
  measure("wall-bound: sleep 1", ["sleep", "1"], 7);
  const cpu = measure("cpu-bound script", ["node", join(here, "cpu-bound.mjs"), values["cpu-rounds"]], Number(values["cpu-runs"]));
  console.log(`\n  cpu-bound overhead: ${((cpu["mlx capture"] / cpu.bare - 1) * 100).toFixed(2)} % (target < 1 %)`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
