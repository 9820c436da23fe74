#!/usr/bin/env node
// bench/command-check: what pack's "command can start" check costs, against the whole pack it is part
// of, measured in one run. Needs Docker (scripts/setup-docker.sh) and a build (npm run build).
//   node bench/command-check.mjs [--runs N]
// Prints medians of: `mlx pack --no-image` of a tiny Node repository (image build cached), the check's
// container run alone as pack does it (the node probe: versions, lockfile digests, thread settings),
// and a bare `<interpreter> --version` container run (what a launcher such as uv gets); then the share.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { MLX, makeRepo, measure } from "./lib.mjs";

const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
const runs = Number(values.runs);
const dist = new URL("../dist/", import.meta.url);
const { DockerodeClient } = await import(new URL("docker/docker-client.js", dist).href);
const { checkInterpreterStarts } = await import(new URL("pack/check-command.js", dist).href);

const base = `node:${process.versions.node}-bookworm-slim`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const repo = makeRepo("mlx-bench-check-", { "train.js": "console.log('acc=0.9')\n", ".gitignore": ".mlx/\n*.tar\n" });
try {
  measure([MLX, "capture", "--", "node", "train.js"], repo);
  const docker = new DockerodeClient(process.env);
  const imageId = await docker.imageId(base);
  if (!imageId) throw new Error(`${base} is not in the engine: run scripts/setup-docker.sh`);
  const check = { imageId, baseImage: base, cwd: ".", lockfiles: ["package-lock.json"] };
  const timed = async (work) => {
    const start = process.hrtime.bigint();
    await work();
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const pack = [];
  const probe = [];
  const version = [];
  for (let i = 0; i < runs; i++) {
    pack.push(measure([MLX, "pack", "--no-image", "--force", "--base-image", base, "-o", join(repo, "b.tar")], repo).ms);
    probe.push(await timed(() => checkInterpreterStarts(docker, { runtime: "node", interpreter: "node", entry: "train.js" }, check)));
    version.push(await timed(() => checkInterpreterStarts(docker, { runtime: null, interpreter: "node", entry: null }, check)));
  }
  const [p, c, v] = [median(pack), median(probe), median(version)];
  console.log(`runs ${runs}; docker ${(await docker.ping()).version}; base ${base}`);
  console.log(`mlx pack --no-image (whole, check included): ${p.toFixed(0)} ms`);
  console.log(`the check as pack runs it (node probe):      ${c.toFixed(0)} ms  (${((100 * c) / p).toFixed(1)}% of the pack)`);
  console.log(`a bare 'node --version' container run:       ${v.toFixed(0)} ms  (${((100 * v) / p).toFixed(1)}% of the pack)`);
} finally {
  rmSync(repo, { recursive: true, force: true });
}
