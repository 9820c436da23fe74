import { access, chmod, copyFile, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EnvironmentError } from "../errors.js";
import { runProcess, streamProcess } from "../primitives/run-process.js";

export interface BaseImagePlan {
  /** The tag to give the image: mlx pack's default is node:<node version>-bookworm-slim. */
  tag: string;
  /** The node binary to put in /usr/local/bin (this host's, so the version matches the tag). */
  nodeBinary: string;
  /** Debian release for debootstrap. */
  suite: string;
  /** Replace an image of that tag already in the engine. */
  force: boolean;
}

export interface BaseImageEngine {
  imageId(ref: string): Promise<string | null>;
  /** Imports a root filesystem tar as an image under `tag`; resolves with its id. */
  importRootfs(archive: NodeJS.ReadableStream, tag: string): Promise<string>;
}

export interface BaseImageResult {
  tag: string;
  imageId: string;
  built: boolean;
}

/** The tag `mlx pack` looks for by default for a given node version. */
export function defaultNodeBaseImage(nodeVersion: string): string {
  return `node:${nodeVersion}-bookworm-slim`;
}

/**
 * Builds a base image without any registry: debootstrap a minimal Debian, add a node binary, and
 * import it under the official tag, so that mlx pack's default base image resolves offline as it
 * would online. Needs root and debootstrap (Debian's package of that name).
 */
export async function buildBaseImage(plan: BaseImagePlan, engine: BaseImageEngine, step: (line: string) => void): Promise<BaseImageResult> {
  const existing = await engine.imageId(plan.tag);
  if (existing && !plan.force) return { tag: plan.tag, imageId: existing, built: false };
  const debootstrap = await runProcess("debootstrap", ["--version"], { cwd: "/", timeoutMs: 10_000 });
  if (debootstrap.error) {
    throw new EnvironmentError(
      "debootstrap is not installed",
      "Install it (apt-get install debootstrap) and run this as root, or docker pull the base image where a registry answers.",
    );
  }
  const rootfs = await mkdtemp(join(tmpdir(), "mlx-rootfs-"));
  try {
    step(`debootstrap --variant=minbase ${plan.suite} (about 30 s)`);
    const include = "--include=libstdc++6,ca-certificates";
    const made = await runProcess("debootstrap", ["--variant=minbase", include, plan.suite, rootfs], {
      cwd: "/",
      stdout: "ignore",
      timeoutMs: 20 * 60_000,
    });
    if (made.code !== 0) {
      const why = made.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${made.code ?? made.signal}`;
      throw new EnvironmentError(`debootstrap failed: ${why}`, "Run it as root on a host that reaches Debian's package mirrors.");
    }
    await access(plan.nodeBinary);
    await copyFile(plan.nodeBinary, join(rootfs, "usr/local/bin/node"));
    await chmod(join(rootfs, "usr/local/bin/node"), 0o755);
    // The package caches debootstrap leaves (the folders stay: apt expects them).
    for (const cache of ["var/cache/apt/archives", "var/lib/apt/lists"]) {
      const folder = join(rootfs, cache);
      for (const name of await readdir(folder).catch(() => []))
        if (name !== "partial" && name !== "lock") await rm(join(folder, name), { recursive: true, force: true });
    }
    step(`importing it as ${plan.tag}`);
    const archive = streamProcess("tar", ["-C", rootfs, "--numeric-owner", "-c", "."], { cwd: "/" });
    const imageId = await engine.importRootfs(archive.stdout, plan.tag);
    const tarred = await archive.done;
    if (tarred.code !== 0)
      throw new EnvironmentError(`tar of the root filesystem failed: ${tarred.stderr.trim()}`, "Check free space in the temp folder.");
    return { tag: plan.tag, imageId, built: true };
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
