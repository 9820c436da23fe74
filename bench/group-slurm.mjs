#!/usr/bin/env node
// bench/group-slurm: what a search on Slurm costs per trial above Slurm itself. On a throwaway two-node
// cluster (scripts/slurm-cluster.sh), N trivial trials at concurrency 2:
//   baseline: the same N commands, each as `sbatch --wait --wrap '<command>'`, two at a time (xargs -P 2);
//   mlx:      `mlx capture --config s.yaml` with executor: slurm (one job per trial running mlx capture).
// Prints both totals, mlx's cost per trial above the baseline, and the ratio. Needs root, slurm-wlm and
// munge (bash scripts/setup-slurm.sh) and a build. N: first argument (default 10).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MLX, makeRepo, measure } from "./lib.mjs";

const N = Number(process.argv[2] ?? 10);
const CLUSTER = new URL("../scripts/slurm-cluster.sh", import.meta.url).pathname;
const script =
  "const x = process.argv[2] !== undefined ? Number(process.argv[2]) : JSON.parse(process.env.MLX_PARAMS).x;\n" +
  "console.log('score=' + -((x - 0.3) ** 2));\n";
const repo = makeRepo("mlx-bench-slurm-", { "trial.cjs": script, ".gitignore": "*.out\n" });
const cluster = mkdtempSync(join(tmpdir(), "mlx-bench-cluster-"));
try {
  const out = execFileSync("bash", [CLUSTER, "start", cluster], { encoding: "utf8" });
  process.env.SLURM_CONF = /SLURM_CONF=(\S+)/.exec(out)[1];
  const spec = ["name: bench", `num_trials: ${N}`, "sampler: random", "seed: 1", "concurrency: 2", "executor: slurm"];
  writeFileSync(
    join(repo, "s.yaml"),
    [...spec, "param_space:", "  x: uniform(-1, 1)", "metric:", "  name: score", "run: node trial.cjs", ""].join("\n"),
  );
  const values = Array.from({ length: N }, (_, i) => (i / N - 0.5).toFixed(2));
  writeFileSync(join(repo, "values.txt"), values.join("\n") + "\n");
  const node = process.execPath;
  const wrap = `xargs -P 2 -I X sbatch --wait --quiet --output=/dev/null --wrap '${node} trial.cjs X' < values.txt`;
  const base = measure(wrap, repo).ms;
  const mlx = measure([MLX, "capture", "--config", "s.yaml"], repo).ms;
  const perTrial = (mlx - base) / N;
  console.log(`bench/group-slurm: ${N} trivial trials, concurrency 2, two one-CPU nodes on this host`);
  console.log(`  sbatch --wait (xargs -P 2):   ${(base / 1000).toFixed(1)} s  (${(base / N).toFixed(0)} ms a trial)`);
  console.log(`  mlx capture, executor slurm:  ${(mlx / 1000).toFixed(1)} s  (${(mlx / N).toFixed(0)} ms a trial)`);
  console.log(`  mlx's cost above sbatch --wait: ${perTrial.toFixed(0)} ms a trial; ratio ${(mlx / base).toFixed(2)}x`);
} finally {
  execFileSync("bash", [CLUSTER, "stop", cluster], { stdio: "inherit" });
  rmSync(repo, { recursive: true, force: true });
  rmSync(cluster, { recursive: true, force: true });
}
