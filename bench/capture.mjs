#!/usr/bin/env node
// bench/capture: what `mlx capture` adds to a command, measured in one run against baselines.
//   node bench/capture.mjs [--trivial-runs N] [--cpu-runs N] [--cpu-rounds N]
// Prints medians of: the bare command, the command under a bare Node wrapper (the floor for any
// Node CLI), and under `mlx capture`; then the ratios. Run from a built checkout (npm run build).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/**
 * The CPU time (user + sys, ms) of this process's waited-for children and all their descendants: fields 16
 * and 17 of /proc/self/stat, in clock ticks (10 ms here, so compare medians of many runs). On a loaded
 * machine wall times mostly measure the load; the CPU a run's whole process tree used does not.
 */
function childrenCpuMs() {
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;

function time(argv) {
  const cpuBefore = childrenCpuMs();
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: repo, stdio: "ignore" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}`);
  return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: childrenCpuMs() - cpuBefore };
}

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

/** The target of the speed issue: `mlx capture` within this many ms of the bare wrapper. */
const ABOVE_WRAPPER_TARGET_MS = 60;

function aboveWrapper(label, { wall, cpu }) {
  const above = wall["mlx capture"] - wall.wrapper;
  const verdict = above <= ABOVE_WRAPPER_TARGET_MS ? "met" : "NOT met";
  const aboveCpu = cpu["mlx capture"] - cpu.wrapper;
  console.log(
    `  ${label.padEnd(12)} ${above.toFixed(1).padStart(6)} ms wall above the wrapper (target ${ABOVE_WRAPPER_TARGET_MS}: ${verdict}),` +
      ` ${aboveCpu.toFixed(0).padStart(4)} ms CPU (user+sys, whole process tree)`,
  );
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
  const of = (key) => Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v.map((s) => s[key]))]));
  const m = { wall: of("wall"), cpu: of("cpu") };
  console.log(`\n${label} (${runs} runs each, interleaved; medians: wall ms, CPU ms = user+sys of the whole process tree)`);
  for (const k of Object.keys(rows))
    console.log(`  ${k.padEnd(12)} ${m.wall[k].toFixed(1).padStart(8)} wall ${m.cpu[k].toFixed(0).padStart(6)} CPU`);
  const w = m.wall;
  console.log(`  mlx - bare     = ${(w["mlx capture"] - w.bare).toFixed(1)} ms  (ratio ${(w["mlx capture"] / w.bare).toFixed(3)})`);
  console.log(
    `  mlx - wrapper  = ${(w["mlx capture"] - w.wrapper).toFixed(1)} ms wall, ${(m.cpu["mlx capture"] - m.cpu.wrapper).toFixed(0)} ms CPU`,
  );
  console.log(`  load average after: ${loadAverage()}`);
  return m;
}

try {
  console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
  console.log(`load average before: ${loadAverage()}`);
  const trivial = measure("trivial: node -e 0", ["node", "-e", "0"], Number(values["trivial-runs"]));
  // A command that lasts: the probes finish while it runs, leaving start-up and the final record.
  const sleeping = measure("wall-bound: sleep 1", ["sleep", "1"], 7);
  console.log("\nmlx capture above the bare wrapper, medians from the same interleaved runs:");
  aboveWrapper("node -e 0", trivial);
  aboveWrapper("sleep 1", sleeping);
  const cpu = measure("cpu-bound script", ["node", join(here, "cpu-bound.mjs"), values["cpu-rounds"]], Number(values["cpu-runs"]));
  console.log(`\n  cpu-bound overhead: ${((cpu.wall["mlx capture"] / cpu.wall.bare - 1) * 100).toFixed(2)} % (target < 1 %)`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
