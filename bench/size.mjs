#!/usr/bin/env node
// bench/size: the iris example's bundle with its image layers gzip-compressed (mlx pack's default) and
// without (--compress none), against `docker save` of the same image, measured in the same run:
//   1. sizes: image.tar and bundle.tar of each, as a ratio of `docker save`;
//   2. the compression step alone, per zlib level and concurrency, beside `docker save > file`;
//   3. pack time of each (image cached by the builder) beside `docker save > file`;
//   4. replay time of each beside `docker load` + `docker run` of the same image.tar, image absent.
// Runs are interleaved (baseline, none, gzip, ...), medians printed with the load average.
// Needs Docker and a build (dist/). --runs N (default 3); --levels 1,6,9 (the levels timed in step 2).
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeRepo, measure } from "./lib.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" }, levels: { type: "string", default: "1,6,9" } } });
const runs = Number(values.runs);
const levels = values.levels.split(",").map(Number);
const example = new URL("../examples/iris/", import.meta.url).pathname;
const { compressImageArchive } = await import(new URL("../dist/bundle/compress-image.js", import.meta.url).pathname);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (command, cwd) => execFileSync("sh", ["-c", command], { cwd, encoding: "utf8" });
const load = () => sh("cut -d' ' -f1 /proc/loadavg").trim();
const ms = (xs) => `${median(xs).toFixed(0)} ms`;

const repo = makeRepo("mlx-bench-size-", { ".gitignore": "node_modules\nmodel/\nmetrics.json\n*.tar\nx-*/\nreplay-*/\n" });
try {
  for (const f of ["train.js", "package.json", "package-lock.json", "run.yaml"]) copyFileSync(join(example, f), join(repo, f));
  symlinkSync(join(example, "node_modules"), join(repo, "node_modules"));
  sh("git add -A && git commit -qm example", repo);
  execFileSync(MLX, ["capture", "--config", "run.yaml"], { cwd: repo, stdio: "ignore" });
  const pack = (compress) => [MLX, "pack", "--quiet", "--force", "--compress", compress, "-o", `${compress}.tar`];
  const { imageId } = JSON.parse(execFileSync(MLX, [...pack("gzip").slice(1), "--json"], { cwd: repo, encoding: "utf8" }));
  execFileSync(pack("none")[0], pack("none").slice(1), { cwd: repo, stdio: "ignore" });
  const save = `docker save ${imageId} > saved.tar`;

  // 1. Sizes.
  sh(save, repo);
  const saved = statSync(join(repo, "saved.tar")).size;
  const sizes = {};
  for (const c of ["none", "gzip"]) {
    mkdirSync(join(repo, `x-${c}`));
    sh(`tar -xf ${c}.tar -C x-${c} image.tar`, repo);
    sizes[c] = { image: statSync(join(repo, `x-${c}`, "image.tar")).size, bundle: statSync(join(repo, `${c}.tar`)).size };
  }
  console.log(`iris example: docker save ${saved} bytes (${(saved / 1e6).toFixed(1)} MB)`);
  for (const c of ["none", "gzip"])
    console.log(
      `  --compress ${c.padEnd(4)}  image.tar ${(sizes[c].image / saved).toFixed(4)}x, ` +
        `bundle.tar ${(sizes[c].bundle / saved).toFixed(4)}x of docker save (target <= 0.5x)`,
    );

  // 2. The compression step alone (in this process, as pack runs it), beside docker save > file.
  console.log(`compression of the saved image alone, median of ${runs} (levels 6 and 9: one run each)`);
  const work = mkdtempSync(join(repo, "x-work-"));
  const variants = [...levels.map((level) => ({ level, concurrency: undefined })), { level: 1, concurrency: 1 }];
  for (const { level, concurrency } of variants) {
    const base = [];
    const took = [];
    let size = 0;
    for (let i = 0; i < (level === 1 ? runs : 1); i++) {
      base.push(measure(save, repo).ms);
      const start = process.hrtime.bigint();
      const out = join(repo, `x-level-${level}-${i}.tar`);
      size = (await compressImageArchive(join(repo, "saved.tar"), out, { workDir: work, level, concurrency })).sizeBytes;
      took.push(Number(process.hrtime.bigint() - start) / 1e6);
      rmSync(out);
    }
    const label = `level ${level}${concurrency ? `, 1 piece at a time` : ", pieces in parallel"}`.padEnd(32);
    console.log(
      `  ${label} ${ms(took)} (docker save > file ${ms(base)}, ${(median(took) / median(base)).toFixed(2)}x), ` +
        `${(size / saved).toFixed(4)}x of docker save; load ${load()}`,
    );
  }

  // 3. Pack, build cached: what compression adds to a pack.
  const times = { save: [], none: [], gzip: [] };
  const loads = [];
  for (let i = 0; i < runs; i++) {
    times.save.push(measure(save, repo).ms);
    for (const c of ["none", "gzip"]) times[c].push(measure(pack(c), repo).ms);
    loads.push(load());
  }
  console.log(`pack (image cached by the builder), median of ${runs}; load ${loads.join(" ")}`);
  console.log(`  docker save > file (baseline)  ${ms(times.save)}`);
  for (const c of ["none", "gzip"])
    console.log(
      `  mlx pack --compress ${c.padEnd(4)}      ${ms(times[c])}  (${(median(times[c]) / median(times.save)).toFixed(2)}x docker save)`,
    );
  console.log(`  gzip / none: ${(median(times.gzip) / median(times.none)).toFixed(2)}x`);

  // 4. Replay of each, image absent, beside docker load + docker run of the same image.tar.
  const env = `-e MLX_SEED=42 -e 'MLX_PARAMS={"epochs":40,"lr":0.05,"hidden":16}' -e NODE_OPTIONS='--require /opt/mlx/preload.cjs'`;
  const run = `docker run --rm --network none ${env} -w /app ${imageId} node train.js`;
  const rmi = () => sh(`docker rmi -f ${imageId} >/dev/null 2>&1 || true`);
  const replay = { none: { base: [], mlx: [] }, gzip: { base: [], mlx: [] } };
  const replayLoads = [];
  for (let i = 0; i < runs; i++) {
    for (const c of ["none", "gzip"]) {
      rmi();
      replay[c].base.push(measure(`docker load -q -i x-${c}/image.tar >/dev/null && ${run} >/dev/null`, repo).ms);
      rmi();
      replay[c].mlx.push(measure([MLX, "replay", `${c}.tar`, "--out", `replay-${c}-${i}`], repo).ms);
    }
    replayLoads.push(load());
  }
  rmi();
  console.log(`replay, image absent before every run, median of ${runs}; load ${replayLoads.join(" ")}`);
  for (const c of ["none", "gzip"]) {
    const { base, mlx } = replay[c];
    console.log(
      `  --compress ${c.padEnd(4)}  docker load + run ${ms(base)}, mlx replay ${ms(mlx)}: ` +
        `${(median(mlx) / median(base)).toFixed(3)}x (target <= 1.1x)`,
    );
  }
  console.log(`  mlx replay gzip / none: ${(median(replay.gzip.mlx) / median(replay.none.mlx)).toFixed(2)}x`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
