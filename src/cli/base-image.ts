import type { Command } from "commander";
import type { BaseRuntime } from "../pack/base-image.js";
import type { CommandAction } from "./main.js";

interface RawBaseImageOptions {
  tag?: string;
  python?: string | boolean;
  suite: string;
  force: boolean;
  cache: boolean;
  quiet: boolean;
}

export function registerBaseImage(program: Command, setAction: (action: CommandAction) => void): void {
  const baseImage = program.command("base-image").description("make the base images mlx pack builds on, without a registry");
  baseImage
    .command("build")
    .description("build node:<this node's version>-bookworm-slim offline: debootstrap a minimal Debian, add this host's node, import it")
    .option(
      "--python [version]",
      "build python:<version>-slim-bookworm instead, with Debian's python3 (default: /usr/bin/python3's version)",
    )
    .option(
      "--tag <image>",
      "tag to give it (default: the tag mlx pack looks for: node:<version>-bookworm-slim or python:<version>-slim-bookworm)",
    )
    .option("--suite <name>", "Debian release for debootstrap", "bookworm")
    .option("--force", "rebuild even when the engine already has that tag", false)
    .option("-q, --quiet", "no step lines (for scripts): only errors and the result", false)
    .option("--no-cache", "do not keep debootstrap's downloaded packages in /var/cache/mlx/debootstrap for the next build")
    .addHelpText(
      "after",
      "\nNeeds root, debootstrap and a Docker engine. Exit codes: 0 built or present; 2 a Python version Debian does not have;" +
        " 3 environment (no engine, no debootstrap).",
    )
    .action((raw: RawBaseImageOptions) => setAction(() => runBaseImageBuild(raw)));
}

async function runBaseImageBuild(raw: RawBaseImageOptions): Promise<number> {
  const [base, { DockerodeClient }] = await Promise.all([import("../pack/base-image.js"), import("../docker/docker-client.js")]);
  const docker = new DockerodeClient(process.env);
  await docker.ping();
  const python = raw.python === undefined ? null : typeof raw.python === "string" ? raw.python : await base.probeSystemPythonVersion();
  const runtime: BaseRuntime = python === null ? { kind: "node", nodeBinary: process.execPath } : { kind: "python", version: python };
  const tag = raw.tag ?? (python === null ? base.defaultNodeBaseImage(process.versions.node) : base.defaultPythonBaseImage(python));
  const plan = { tag, runtime, suite: raw.suite, force: raw.force, cacheDir: raw.cache ? base.DEBOOTSTRAP_CACHE_DIR : null };
  const result = await base.buildBaseImage(plan, docker, (line) => raw.quiet || process.stderr.write(`mlx: ${line}\n`));
  process.stderr.write(`mlx: base image ${result.tag} ${result.built ? "built" : "already present"} (${result.imageId})\n`);
  return 0;
}
