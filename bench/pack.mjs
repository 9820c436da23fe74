#!/usr/bin/env node
// bench/pack: what `mlx pack` costs, against baselines measured in the same run. Needs Docker
// (bash scripts/setup-docker.sh) and a build (npm run build).
//  1. throughput: packing 1 GB of declared input data (with --no-image: the image build is cached
//     and the image left out) vs `tar -cf - data | sha256sum` over the same data;
//  2. peak RSS of `mlx pack` with 100 MB and with 1 GB of data (flat is the target);
//  3. bundle size of the iris example vs `docker save` of the same image.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync, symlinkSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeRepo, measure, mib } from "./lib.mjs";

const { values } = parseArgs({
  options: { "big-mib": { type: "string", default: "1024" }, "small-mib": { type: "string", default: "100" } },
});
const sizes = [Number(values["small-mib"]), Number(values["big-mib"])];
const repos = [];

try {
  console.log(
    `node ${process.version}; docker ${execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8" })}`.trim(),
  );
  const results = [];
  for (const size of sizes) {
    const repo = makeRepo("mlx-bench-pack-", { ".gitignore": "data/\n*.tar\n" });
    repos.push(repo);
    mkdirSync(join(repo, "data"));
    execFileSync("sh", ["-c", `head -c ${size}M /dev/urandom > data/part1.bin && head -c 1M /dev/urandom > data/part2.bin`], { cwd: repo });
    execFileSync(MLX, ["capture", "--input", "data", "--", "node", "-e", "0"], { cwd: repo, stdio: "ignore" });
    execFileSync(MLX, ["pack", "--no-image", "-o", "warm.tar"], { cwd: repo, stdio: "ignore" }); // builder cache warm
    // Each measurement starts with no dirty pages from the one before (a 1 GB bundle still being
    // flushed slows the next run's writes and fsync) and with the data in the page cache for both.
    const settle = () => execFileSync("sh", ["-c", "rm -f warm.tar b.tar && sync && cat data/* > /dev/null"], { cwd: repo });
    const baselines = [];
    const packs = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      settle();
      baselines.push(measure("tar -cf - data | sha256sum > /dev/null", repo));
      settle();
      packs.push(measure([MLX, "pack", "--no-image", "-o", "b.tar"], repo));
      bytes = statSync(join(repo, "b.tar")).size;
    }
    const byMs = (xs) => [...xs].sort((a, b) => a.ms - b.ms)[1];
    const baseline = byMs(baselines);
    const pack = { ...byMs(packs), rssKiB: Math.max(...packs.map((p) => p.rssKiB)) };
    results.push({ size, baseline, pack, bytes });
    console.log(`\n${size} MiB of input data (bundle ${mib(bytes)} MiB; medians of 3)`);
    console.log(`  tar -cf - data | sha256sum   ${baseline.ms.toFixed(0)} ms  ${(size / (baseline.ms / 1000)).toFixed(0)} MiB/s`);
    console.log(
      `  mlx pack --no-image          ${pack.ms.toFixed(0)} ms  ${(size / (pack.ms / 1000)).toFixed(0)} MiB/s  ` +
        "(all of it: start-up, a cached image build, writing and fsync of the bundle)",
    );
    console.log(`  throughput ratio mlx/baseline: ${(baseline.ms / pack.ms).toFixed(2)}x (target >= 0.8x)`);
    console.log(`  peak RSS of mlx pack: ${(pack.rssKiB / 1024).toFixed(0)} MiB`);
  }
  console.log(
    `\npeak RSS ${sizes[0]} MiB -> ${sizes[1]} MiB of data: ` +
      `${(results[0].pack.rssKiB / 1024).toFixed(0)} -> ${(results[1].pack.rssKiB / 1024).toFixed(0)} MiB (target: flat, under 200 MB)`,
  );

  // Bundle size against docker save of the same image: the iris example, dependencies included.
  const example = new URL("../examples/iris/", import.meta.url).pathname;
  const repo = makeRepo("mlx-bench-size-", { ".gitignore": "node_modules\nmodel/\nmetrics.json\n*.tar\n" });
  repos.push(repo);
  for (const f of ["train.js", "package.json", "package-lock.json", "run.yaml"]) copyFileSync(join(example, f), join(repo, f));
  symlinkSync(join(example, "node_modules"), join(repo, "node_modules"));
  execFileSync("sh", ["-c", "git add -A && git commit -qm example"], { cwd: repo });
  execFileSync(MLX, ["capture", "--config", "run.yaml"], { cwd: repo, stdio: "ignore" });
  const packed = JSON.parse(execFileSync(MLX, ["pack", "--json", "-o", "bundle.tar"], { cwd: repo, encoding: "utf8" }));
  const saved = Number(execFileSync("sh", ["-c", `docker save ${packed.imageId} | wc -c`], { encoding: "utf8" }).trim());
  console.log(
    `\niris example: bundle ${mib(packed.sizeBytes)} MiB vs docker save ${mib(saved)} MiB: ` +
      `${(packed.sizeBytes / saved).toFixed(4)}x (target <= 1.05x plus data; no data here)`,
  );
} finally {
  for (const r of repos) rmSync(r, { recursive: true, force: true });
}
