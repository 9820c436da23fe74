#!/usr/bin/env node
// bench/replay: `mlx replay` of the iris example bundle vs the bare baseline of `docker load` +
// `docker run` of the same image and command (data mounted as replay mounts it), each starting with
// the image absent; and the time from the command to the first log line. With --data-mib N, a second
// bundle of the same run with an N MiB declared data input (N = 700 gives a bundle near 1 GB) shows
// how the ratio holds as the bundle grows. --mlx PATH compares another build (e.g. /tmp/before/bin/mlx)
// in the same runs; --packer PATH captures and packs with another build. Needs Docker and a build.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeRepo, measure } from "./lib.mjs";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    "data-mib": { type: "string", default: "0" },
    mlx: { type: "string" },
    packer: { type: "string", default: MLX },
  },
});
const runs = Number(values.runs);
const dataMib = Number(values["data-mib"]);
const others = values.mlx ? [["other", values.mlx]] : [];
const packer = values.packer; // the build that captures and packs the bundles (--packer PATH: another one)
const example = new URL("../examples/iris/", import.meta.url).pathname;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sh = (command, cwd) => execFileSync("sh", ["-c", command], { cwd, encoding: "utf8" });

function firstLineMs(argv, cwd) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ["ignore", "pipe", "ignore"] });
    let first = null;
    child.stdout.on("data", () => (first ??= Number(process.hrtime.bigint() - start) / 1e6));
    child.on("exit", (code) => (code === 0 ? resolve(first) : reject(new Error(`${argv.join(" ")} exited ${code}`))));
  });
}

/** The iris run captured and packed, with `mib` MiB of declared data (none when 0); its bundle, image and baseline command. */
function makeCase(mib) {
  const repo = makeRepo("mlx-bench-replay-", { ".gitignore": "node_modules\nmodel/\nmetrics.json\n*.tar\nimage/\nreplay-*/\ndata/\n" });
  try {
    return packedCase(repo, mib);
  } catch (error) {
    rmSync(repo, { recursive: true, force: true });
    throw error;
  }
}

function packedCase(repo, mib) {
  for (const f of ["train.js", "package.json", "package-lock.json", "run.yaml"]) copyFileSync(join(example, f), join(repo, f));
  symlinkSync(join(example, "node_modules"), join(repo, "node_modules"));
  sh("git add -A && git commit -qm example", repo);
  const input = [];
  if (mib > 0) {
    mkdirSync(join(repo, "data"));
    sh(`head -c ${mib * 2 ** 20} /dev/urandom > data/big.bin`, repo);
    input.push("--input", "data/big.bin");
  }
  execFileSync(packer, ["capture", "--config", "run.yaml", ...input], { cwd: repo, stdio: "ignore" });
  const { imageId } = JSON.parse(execFileSync(packer, ["pack", "--json", "-o", "bundle.tar"], { cwd: repo, encoding: "utf8" }));
  sh(`mkdir -p image && tar -xf bundle.tar -C image image.tar${mib > 0 ? " data/data/big.bin" : ""}`, repo);
  // The same image and command, seed and params, with none of mlx's checks, hardening or comparison.
  const env = `-e MLX_SEED=42 -e 'MLX_PARAMS={"epochs":40,"lr":0.05,"hidden":16}' -e NODE_OPTIONS='--require /opt/mlx/preload.cjs'`;
  const mount = mib > 0 ? `-v ${repo}/image/data/data/big.bin:/app/data/big.bin:ro` : "";
  const run = `docker run --rm --network none ${env} ${mount} -w /app ${imageId} node train.js`;
  const sizeMb = statSync(join(repo, "bundle.tar")).size / 1e6;
  return { repo, imageId, run, sizeMb, label: mib > 0 ? `iris + ${mib} MiB data` : "iris example" };
}

/** measure(), once more when the spawn itself failed (a loaded machine can refuse one): never a failed replay. */
function timed(command, cwd) {
  try {
    return measure(command, cwd).ms;
  } catch (error) {
    if (!(error instanceof TypeError) && !/exited null/.test(String(error))) throw error;
    return measure(command, cwd).ms;
  }
}

async function benchCase(c) {
  const { repo, imageId, run } = c;
  const rmi = () => sh(`docker rmi -f ${imageId} >/dev/null 2>&1 || true`);
  const builds = [["mlx", MLX], ...others];
  const wall = { base: [], ...Object.fromEntries(builds.map(([k]) => [k, []])) };
  const first = { base: [], ...Object.fromEntries(builds.map(([k]) => [k, []])) };
  const loads = [];
  for (let i = 0; i < runs; i++) {
    rmi();
    wall.base.push(timed(`docker load -q -i image/image.tar >/dev/null && ${run} >/dev/null`, repo));
    for (const [k, bin] of builds) {
      rmi();
      wall[k].push(timed([bin, "replay", "bundle.tar", "--out", `replay-${k}-${i}`], repo));
    }
    rmi();
    first.base.push(await firstLineMs(["sh", "-c", `docker load -q -i image/image.tar >/dev/null && ${run}`], repo));
    for (const [k, bin] of builds) {
      rmi();
      first[k].push(await firstLineMs([bin, "replay", "bundle.tar", "--out", `replay-first-${k}-${i}`], repo));
    }
    loads.push(sh("cat /proc/loadavg").split(" ")[0]);
  }
  rmi();
  console.log(`${c.label}: bundle ${c.sizeMb.toFixed(0)} MB, ${runs} runs each, image absent before every run; median wall ms`);
  console.log(`  load average after each round: ${loads.join(" ")}`);
  console.log(`  docker load + docker run (baseline)  ${median(wall.base).toFixed(0)}   first line ${median(first.base).toFixed(0)}`);
  for (const [k] of builds) {
    const ratio = (median(wall[k]) / median(wall.base)).toFixed(3);
    const firstRatio = (median(first[k]) / median(first.base)).toFixed(3);
    console.log(`  ${`mlx replay (${k})`.padEnd(36)} ${median(wall[k]).toFixed(0)}   first line ${median(first[k]).toFixed(0)}`);
    console.log(`    ratio to baseline: wall ${ratio}x, first line ${firstRatio}x (target <= 1.1x)`);
  }
}

const cases = [];
try {
  cases.push(makeCase(0));
  if (dataMib > 0) cases.push(makeCase(dataMib));
  for (const c of cases) await benchCase(c);
} finally {
  for (const c of cases) rmSync(c.repo, { recursive: true, force: true });
}
