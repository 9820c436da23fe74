import type { Command } from "commander";
import type { CommandAction } from "./main.js";

interface RawBaseImageOptions {
  tag?: string;
  suite: string;
  force: boolean;
}

export function registerBaseImage(program: Command, setAction: (action: CommandAction) => void): void {
  const baseImage = program.command("base-image").description("make the base images mlx pack builds on, without a registry");
  baseImage
    .command("build")
    .description("build node:<this node's version>-bookworm-slim offline: debootstrap a minimal Debian, add this host's node, import it")
    .option("--tag <image>", "tag to give it (default: node:<this node's version>-bookworm-slim, mlx pack's default base image)")
    .option("--suite <name>", "Debian release for debootstrap", "bookworm")
    .option("--force", "rebuild even when the engine already has that tag", false)
    .addHelpText(
      "after",
      "\nNeeds root, debootstrap and a Docker engine. Exit codes: 0 built or present; 3 environment (no engine, no debootstrap).",
    )
    .action((raw: RawBaseImageOptions) => setAction(() => runBaseImageBuild(raw)));
}

async function runBaseImageBuild(raw: RawBaseImageOptions): Promise<number> {
  const [{ buildBaseImage, defaultNodeBaseImage }, { DockerodeClient }] = await Promise.all([
    import("../pack/base-image.js"),
    import("../docker/docker-client.js"),
  ]);
  const docker = new DockerodeClient(process.env);
  await docker.ping();
  const tag = raw.tag ?? defaultNodeBaseImage(process.versions.node);
  const plan = { tag, nodeBinary: process.execPath, suite: raw.suite, force: raw.force };
  const result = await buildBaseImage(plan, docker, (line) => process.stderr.write(`mlx: ${line}\n`));
  process.stderr.write(`mlx: base image ${result.tag} ${result.built ? "built" : "already present"} (${result.imageId})\n`);
  return 0;
}
