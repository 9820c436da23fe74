import { access, chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BadInputError, EnvironmentError } from "../errors.js";
import { runProcess, streamProcess } from "../primitives/run-process.js";

/** What the image adds to a minimal Debian: this host's node binary, or Debian's own python3. */
export type BaseRuntime = { kind: "node"; nodeBinary: string } | { kind: "python"; version: string };

export interface BaseImagePlan {
  /** The tag to give the image: node:<version>-bookworm-slim or python:<version>-slim-bookworm, pack's defaults. */
  tag: string;
  runtime: BaseRuntime;
  /** Debian release for debootstrap. */
  suite: string;
  /** Replace an image of that tag already in the engine. */
  force: boolean;
  /** Where debootstrap keeps the packages it downloads, so that the next build downloads none (null: no cache). */
  cacheDir: string | null;
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

/** Shared by the node and the python builds: downloaded packages are kept here between builds. */
export const DEBOOTSTRAP_CACHE_DIR = "/var/cache/mlx/debootstrap";

/** The tag `mlx pack` looks for by default for a given node version. */
export function defaultNodeBaseImage(nodeVersion: string): string {
  return `node:${nodeVersion}-bookworm-slim`;
}

/** The tag `mlx pack` looks for by default for a Python run: the official image family's name. */
export function defaultPythonBaseImage(pythonVersion: string): string {
  return `python:${pythonVersion}-slim-bookworm`;
}

/**
 * Builds a base image without any registry: debootstrap a minimal Debian, add the runtime, and
 * import it under the official tag, so that mlx pack's default base image resolves offline as it
 * would online. Needs root and debootstrap (Debian's package of that name).
 */
export async function buildBaseImage(plan: BaseImagePlan, engine: BaseImageEngine, step: (line: string) => void): Promise<BaseImageResult> {
  if (plan.runtime.kind === "python" && !/^\d+\.\d+\.\d+$/.test(plan.runtime.version)) {
    throw new BadInputError(
      `Python version ${JSON.stringify(plan.runtime.version)} is not X.Y.Z`,
      "Name it in full, e.g. --python 3.11.2.",
    );
  }
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
    const packages = plan.runtime.kind === "node" ? "libstdc++6,ca-certificates" : "python3,ca-certificates";
    await makeRootfs(rootfs, plan.suite, packages, plan.cacheDir, step);
    if (plan.runtime.kind === "node") await addNode(rootfs, plan.runtime.nodeBinary);
    else await addPythonLinks(rootfs, plan.runtime.version, plan.suite);
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

/**
 * debootstrap into `rootfs`, or unpack the tar of an earlier debootstrap of the same suite and packages
 * kept in `cacheDir` (a debootstrap costs minutes of dpkg work even when no package is downloaded).
 */
async function makeRootfs(
  rootfs: string,
  suite: string,
  packages: string,
  cacheDir: string | null,
  step: (line: string) => void,
): Promise<void> {
  const cached = cacheDir === null ? null : join(cacheDir, `rootfs-${suite}-${packages.replace(/[^a-z0-9.+-]+/g, "_")}.tar`);
  if (cached !== null && (await runProcess("tar", ["-C", rootfs, "-xf", cached], { cwd: "/", timeoutMs: 10 * 60_000 })).code === 0) {
    step(`reusing the debootstrapped ${suite} in ${cached}`);
    return;
  }
  step(`debootstrap --variant=minbase ${suite} (a few minutes)`);
  const args = ["--variant=minbase", `--include=${packages}`];
  if (cacheDir !== null) {
    await mkdir(cacheDir, { recursive: true });
    args.push(`--cache-dir=${cacheDir}`);
  }
  const made = await runProcess("debootstrap", [...args, suite, rootfs], { cwd: "/", stdout: "ignore", timeoutMs: 20 * 60_000 });
  if (made.code !== 0) {
    const why = made.stderr.trim().split("\n").slice(-3).join(" ") || `exit ${made.code ?? made.signal}`;
    throw new EnvironmentError(`debootstrap failed: ${why}`, "Run it as root on a host that reaches Debian's package mirrors.");
  }
  if (cached === null) return;
  // Kept for the next build; a failure to keep it only costs that build a debootstrap.
  const temp = `${cached}.${process.pid}.tmp`;
  const kept = await runProcess("tar", ["-C", rootfs, "--numeric-owner", "-cf", temp, "."], { cwd: "/", timeoutMs: 10 * 60_000 });
  if (kept.code === 0) await rename(temp, cached).catch(() => undefined);
  await rm(temp, { force: true });
}

async function addNode(rootfs: string, nodeBinary: string): Promise<void> {
  await access(nodeBinary);
  await copyFile(nodeBinary, join(rootfs, "usr/local/bin/node"));
  await chmod(join(rootfs, "usr/local/bin/node"), 0o755);
}

/**
 * Debian's python3 stays where Debian puts it (/usr/bin, seeing Debian's python3-* packages); the
 * official image's names in /usr/local/bin point at it, so that `python3`, `python` and a venv's
 * `home = /usr/local/bin` work as they do on the official image. The version must be the one asked.
 */
async function addPythonLinks(rootfs: string, version: string, suite: string): Promise<void> {
  const debian = await debianPythonVersion(rootfs);
  if (debian !== version) {
    throw new BadInputError(
      `Debian ${suite}'s python3 is ${debian ?? "missing"}, not ${version}: the offline base image can hold only Debian's version`,
      `Build python:${debian ?? "<version>"}-slim-bookworm instead (--python ${debian ?? "VERSION"}), or docker pull the image you need.`,
    );
  }
  // The official image's package sources: a pack installs Debian packages at the versions the host had,
  // and security and point-release updates live in these suites.
  await writeFile(join(rootfs, "etc/apt/sources.list.d/debian.sources"), renderDebianSources(suite));
  await rm(join(rootfs, "etc/apt/sources.list"), { force: true });
  const minor = version.split(".").slice(0, 2).join(".");
  const bin = join(rootfs, "usr/local/bin");
  await symlink(`/usr/bin/python${minor}`, join(bin, `python${minor}`));
  await symlink(`python${minor}`, join(bin, "python3"));
  await symlink("python3", join(bin, "python"));
}

export function renderDebianSources(suite: string): string {
  const keyring = "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg";
  return [
    `Types: deb\nURIs: http://deb.debian.org/debian\nSuites: ${suite} ${suite}-updates\nComponents: main\n${keyring}\n`,
    `Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: ${suite}-security\nComponents: main\n${keyring}\n`,
  ].join("\n");
}

/** The upstream version of the python3.X package debootstrap installed (3.11.2 from 3.11.2-6+deb12u6). */
async function debianPythonVersion(rootfs: string): Promise<string | null> {
  const status = await readFile(join(rootfs, "var/lib/dpkg/status"), "utf8").catch(() => "");
  for (const stanza of status.split("\n\n")) {
    if (!/^Package: python3\.\d+$/m.test(stanza)) continue;
    const version = /^Version: (?:\d+:)?([0-9.]+)/m.exec(stanza)?.[1];
    if (version) return version;
  }
  return null;
}

/** The version of this host's Debian python3 (/usr/bin/python3), the default of `base-image build --python`. */
export async function probeSystemPythonVersion(executable = "/usr/bin/python3"): Promise<string> {
  const result = await runProcess(executable, ["-c", "import platform; print(platform.python_version())"], { cwd: "/", timeoutMs: 10_000 });
  const version = result.code === 0 ? result.stdout.toString().trim() : "";
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new EnvironmentError(
      `cannot read the version of ${executable} (${result.error ? result.error.code : result.stderr.trim() || `exit ${result.code}`})`,
      "Install Debian's python3 (apt-get install python3), or name the version: mlx base-image build --python 3.11.2.",
    );
  }
  return version;
}
