import { existsSync, rmSync } from "node:fs";
import { relative, resolve } from "node:path";
import type { Command } from "commander";
import type { ImageCompression } from "../bundle/compress-image.js";
import { BadInputError } from "../errors.js";
import { collect } from "./collect.js";
import type { CommandAction } from "./main.js";
import { stderrProgress } from "./progress.js";
import { formatBytes } from "./render-table.js";
import { MLX_VERSION } from "./version.js";
import { signalExitCode } from "../primitives/signals.js";

// Spelled here, not imported: the compressor's module loads tar, which a capture's start-up should not pay for.
const COMPRESSIONS: readonly ImageCompression[] = ["gzip", "none"];

interface RawPackOptions {
  output: string;
  baseImage?: string;
  image: boolean;
  include: string[];
  allowFailed: boolean;
  force: boolean;
  json: boolean;
  quiet: boolean;
  sign?: string;
  compress: string;
}

export function registerPack(program: Command, setAction: (action: CommandAction) => void): void {
  program
    .command("pack")
    .description("freeze a captured run into one bundle.tar: image, code, data, records, checksums")
    .argument("[run]", "run id, unique prefix, or latest (after a search: its group); or a group's id (one image, every trial)", "latest")
    .option("-o, --output <file>", "where to write the bundle", "bundle.tar")
    .option("--base-image <image>", "base image (default: node:<captured node version>-bookworm-slim)")
    .option("--no-image", "leave the image out; replay builds it from the bundled Dockerfile and context")
    .option("--compress <gzip|none>", "how image.tar stores the image's layers: gzip (about 0.4x the size, deterministic) or none", "gzip")
    .option("--include <path>", "also put this file or folder of the repository in the image, repeatable", collect, [])
    .option("--allow-failed", "pack a run that failed or was interrupted", false)
    .option("--force", "replace an existing output file", false)
    .option("--json", "print the result as JSON", false)
    .option("-q, --quiet", "no progress and no step lines (for scripts): only errors, warnings and the result", false)
    .option("--sign <keyfile>", "sign the bundle's SHA256SUMS with this SSH private key (ssh-keygen -Y sign, as git does)")
    .addHelpText(
      "after",
      "\nExit codes: 0 packed; 2 bad run, record, input or option; 3 Docker unreachable, base image missing, disk full.",
    )
    .action((ref: string, raw: RawPackOptions) => setAction(() => runPack(ref, raw)));
}

async function runPack(ref: string, raw: RawPackOptions): Promise<number> {
  const [{ packRun }, { DockerodeClient }, { signSums }] = await Promise.all([
    import("../pack/pack-run.js"),
    import("../docker/docker-client.js"),
    import("../bundle/signature.js"),
  ]);
  const compress = COMPRESSIONS.find((c) => c === raw.compress);
  if (compress === undefined)
    throw new BadInputError(
      `--compress must be gzip or none, got '${raw.compress}'`,
      "Example: --compress none (a larger bundle, packed faster).",
    );
  const keyFile = raw.sign === undefined ? null : resolve(raw.sign);
  if (keyFile !== null && !existsSync(keyFile))
    throw new BadInputError(`--sign ${raw.sign}: no such key file`, "Give the path of an SSH private key, e.g. ~/.ssh/id_ed25519.");
  const progress = stderrProgress(raw.quiet);
  const temps = new Set<string>();
  // Ctrl-C: nothing half-written stays behind (the bundle is only ever renamed into place when complete).
  const onSignal = (signal: NodeJS.Signals): void => {
    progress.close();
    for (const path of temps) rmSync(path, { recursive: true, force: true });
    process.stderr.write(`mlx: pack interrupted (${signal}); temp files removed, no bundle written\n`);
    process.exit(signalExitCode(signal));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await packRun(
      {
        cwd: process.cwd(),
        runRef: ref,
        output: resolve(raw.output),
        ...(raw.baseImage ? { baseImage: raw.baseImage } : {}),
        noImage: !raw.image,
        includes: raw.include,
        allowFailed: raw.allowFailed,
        force: raw.force,
        compress,
        ...(keyFile === null ? {} : { sign: (sums: Buffer) => signSums(keyFile, sums) }),
      },
      {
        docker: new DockerodeClient(process.env),
        progress,
        mlxVersion: MLX_VERSION,
        preloadPath: new URL("../sdk/preload.cjs", import.meta.url).pathname,
        temps,
      },
    );
    progress.close();
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    if (raw.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + "\n");
    } else {
      const rel = relative(process.cwd(), result.path);
      const shown = rel && !rel.startsWith("..") ? rel : result.path;
      process.stdout.write(
        [
          `bundle  ${result.path}`,
          `size    ${formatBytes(result.sizeBytes)} (${result.sizeBytes} bytes), ${result.members} members`,
          `sha256  ${result.sha256}`,
          `image   ${result.imageId}`,
          `run     ${result.runId}`,
          ...(keyFile === null ? [] : [`signed  SHA256SUMS.sig, with ${keyFile}`]),
          "",
          `A reviewer with Docker runs:  mlx replay ${shown}`,
          "",
        ].join("\n"),
      );
    }
    return 0;
  } finally {
    progress.close(); // a bar cut short by an error gives way to the error's message
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
