#!/usr/bin/env node
// bench/pack: what `mlx pack` costs, against baselines measured in the same run, interleaved. Needs
// Docker (bash scripts/setup-docker.sh) and a build (npm run build).
//  1. throughput: packing 1 GiB of declared input data (with --no-image: the image build is cached
//     and the image left out) vs plain `tar -cf` of the same data (the write limit), `tar -cf` then
//     `sync` (the same bytes made durable, as pack's fsync does) and `tar -cf - data | sha256sum`;
//     with --before DIR, that tree's bin/mlx (an older build) too;
//  2. peak RSS of `mlx pack` with 100 MiB and with 1 GiB of data (flat is the target);
//  3. a TensorFlow.js-sized repository (--nm-mib of node_modules, many small files and a few large
//     ones, generated) packed with its image vs `docker save` of that image + `tar -cf` of the tree;
//  4. bundle size of the iris example vs `docker save` of the same image.
// Every figure is a median of --runs; the load average is printed with each, as others may share the machine.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, symlinkSync, copyFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeNodeModules, makeRepo, measure, mib } from "./lib.mjs";

const { values } = parseArgs({
  options: {
    "big-mib": { type: "string", default: "1024" },
    "small-mib": { type: "string", default: "100" },
    "nm-mib": { type: "string", default: "300" },
    runs: { type: "string", default: "3" },
    before: { type: "string" },
    skip: { type: "string", default: "" },
  },
});
const sizes = [Number(values["small-mib"]), Number(values["big-mib"])];
const runs = Number(values.runs);
const skip = new Set(values.skip.split(",").filter(Boolean));
const BEFORE = values.before ? join(values.before, "bin/mlx") : null;
const repos = [];
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ")[0];
const median = (xs) => [...xs].sort((a, b) => a.ms - b.ms)[Math.floor(xs.length / 2)];

/** Runs each named command `runs` times, interleaved, `settle` before each; medians, peak RSS and load. */
function interleaved(commands, cwd, settle) {
  const samples = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) {
    for (const [name, command] of Object.entries(commands)) {
      settle();
      samples[name].push({ ...measure(command, cwd), load: load() });
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, xs]) => [name, { ...median(xs), rssKiB: Math.max(...xs.map((x) => x.rssKiB)), all: xs }]),
  );
}

function row(label, r, mibOfData, base) {
  const rate = mibOfData ? `  ${(mibOfData / (r.ms / 1000)).toFixed(0).padStart(4)} MiB/s` : "";
  // For a baseline row: mlx pack's throughput as a share of this command's.
  const ratio = base ? `  mlx/this ${(r.ms / base.ms).toFixed(2)}x` : "";
  const runsMs = r.all.map((x) => x.ms.toFixed(0)).join(" ");
  return `  ${label.padEnd(34)} ${r.ms.toFixed(0).padStart(6)} ms${rate}${ratio}  [${runsMs}; load ${r.all.map((x) => x.load).join(" ")}]`;
}

try {
  console.log(
    `node ${process.version}; docker ${execFileSync("docker", ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8" })}`.trim(),
  );
  const results = [];
  for (const size of skip.has("throughput") ? [] : sizes) {
    const repo = makeRepo("mlx-bench-pack-", { ".gitignore": "data/\n*.tar\n" });
    repos.push(repo);
    mkdirSync(join(repo, "data"));
    execFileSync("sh", ["-c", `head -c ${size}M /dev/urandom > data/part1.bin && head -c 1M /dev/urandom > data/part2.bin`], { cwd: repo });
    execFileSync(MLX, ["capture", "--input", "data", "--", "node", "-e", "0"], { cwd: repo, stdio: "ignore" });
    execFileSync(MLX, ["pack", "--no-image", "-o", "warm.tar"], { cwd: repo, stdio: "ignore" }); // builder cache warm
    // Each measurement starts with no dirty pages from the one before (a 1 GB bundle still being
    // flushed slows the next run's writes and fsync) and with the data in the page cache for all.
    const settle = () => execFileSync("sh", ["-c", "rm -f warm.tar b.tar && sync && cat data/* > /dev/null"], { cwd: repo });
    const commands = {
      "tar -cf b.tar data": "tar -cf b.tar data",
      "tar -cf b.tar data && sync b.tar": "tar -cf b.tar data && sync b.tar",
      "tar -cf - data | sha256sum": "tar -cf - data | sha256sum > /dev/null",
      ...(BEFORE ? { "mlx pack --no-image (before)": [BEFORE, "pack", "--no-image", "-o", "b.tar"] } : {}),
      "mlx pack --no-image": [MLX, "pack", "--no-image", "-o", "b.tar"],
    };
    const r = interleaved(commands, repo, settle);
    const pack = r["mlx pack --no-image"];
    results.push({ size, pack, before: BEFORE ? r["mlx pack --no-image (before)"] : null });
    console.log(`\n${size} MiB of input data (medians of ${runs}; all of pack: start-up, a cached image build, writing and fsync)`);
    for (const [label, m] of Object.entries(r)) console.log(row(label, m, size, label.startsWith("mlx") ? null : pack));
    console.log(`  pack's throughput vs plain tar -cf: ${(r["tar -cf b.tar data"].ms / pack.ms).toFixed(2)}x (target >= 0.8x)`);
    console.log(`  vs tar -cf + sync (durable, as pack): ${(r["tar -cf b.tar data && sync b.tar"].ms / pack.ms).toFixed(2)}x`);
    console.log(`  vs tar -cf - | sha256sum: ${(r["tar -cf - data | sha256sum"].ms / pack.ms).toFixed(2)}x`);
    if (BEFORE) console.log(`  before -> after: ${(r["mlx pack --no-image (before)"].ms / pack.ms).toFixed(2)}x faster`);
    console.log(`  peak RSS of mlx pack: ${(pack.rssKiB / 1024).toFixed(0)} MiB`);
  }
  if (results.length === 2) {
    console.log(
      `\npeak RSS ${sizes[0]} MiB -> ${sizes[1]} MiB of data: ` +
        `${(results[0].pack.rssKiB / 1024).toFixed(0)} -> ${(results[1].pack.rssKiB / 1024).toFixed(0)} MiB (target: flat, under 200 MB)`,
    );
  }

  if (!skip.has("tfjs")) tfjsSized();

  // Bundle size against docker save of the same image: the iris example, dependencies included.
  if (skip.has("size")) process.exit(0);
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

/** A repository with a TensorFlow.js-sized node_modules, packed with its image, vs docker save + tar -cf of the same tree. */
function tfjsSized() {
  const repo = makeRepo("mlx-bench-tfjs-", {
    ".gitignore": "node_modules/\n*.tar\n",
    "package.json": JSON.stringify({ name: "tfjs-sized", version: "1.0.0", private: true }),
    "train.js": "console.log('loss=0.5');\n",
  });
  repos.push(repo);
  const made = makeNodeModules(repo, Number(values["nm-mib"]));
  execFileSync(MLX, ["capture", "--", "node", "train.js"], { cwd: repo, stdio: "ignore" });
  const warm = JSON.parse(
    execFileSync(MLX, ["pack", "--json", "--compress", "none", "-o", "warm.tar"], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  );
  const settle = () =>
    execFileSync("sh", ["-c", "rm -f warm.tar b.tar image.tar tree.tar && sync && find node_modules -type f -exec cat {} + > /dev/null"], {
      cwd: repo,
    });
  const commands = {
    "docker save > image.tar; tar -cf": `docker save ${warm.imageId} > image.tar && tar -cf tree.tar node_modules package.json train.js`,
    ...(BEFORE ? { "mlx pack (before)": [BEFORE, "pack", "-o", "b.tar"] } : {}),
    "mlx pack --compress none": [MLX, "pack", "--compress", "none", "-o", "b.tar"],
    "mlx pack (gzip layers)": [MLX, "pack", "-o", "b.tar"],
  };
  const r = interleaved(commands, repo, settle);
  const base = r["docker save > image.tar; tar -cf"];
  console.log(
    `\nTensorFlow.js-sized repository: node_modules ${mib(made.bytes)} MiB in ${made.files} files; ` +
      `bundle ${mib(warm.sizeBytes)} MiB (no compression); medians of ${runs}`,
  );
  for (const [label, m] of Object.entries(r)) console.log(row(label, m, null, null));
  for (const label of Object.keys(r).filter((l) => l.startsWith("mlx")))
    console.log(`  ${label}: ${(r[label].ms / base.ms).toFixed(2)}x the time of docker save + tar -cf`);
  console.log(`  (mlx pack also builds the image from a cached build and starts its interpreter once; the baseline does neither)`);
}
