import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "../errors.js";
import type { HostProcess } from "../facts/host-process.js";
import { hashPath } from "../primitives/hash-paths.js";
import type { HashedPath, Probed, RunManifest } from "../record/types.js";

const PROBE_TIMEOUT_MS = 5000;
const GIT_TIMEOUT_MS = 60_000;

/** What capture records about the host, the code, the dependencies and the inputs. */
export interface Probes {
  system: RunManifest["system"];
  gpus: RunManifest["gpus"];
  git: RunManifest["git"];
  runtimes: RunManifest["runtimes"];
  dependencies: RunManifest["dependencies"];
  inputs: HashedPath[];
  warnings: string[];
}

export interface ProbeRequest {
  host: HostProcess;
  /** The repository root (or the working folder outside git) and the working folder. */
  root: string;
  cwd: string;
  /** The working folder relative to root, "/"-separated ("." at the root). */
  cwdRel: string;
  inGit: boolean;
  /** The record folder: the git patch and the lockfile copies are written there. */
  recordFolder: string;
  /** Declared inputs, relative to root: hashed. */
  inputs: readonly string[];
  maxUntrackedBytes: number;
  includeSecretFiles: boolean;
}

/**
 * Every probe at once, each bounded in time and degrading to `{ available: false, reason }`:
 * a probe that fails never fails the run. The modules load here, after the command has started.
 */
export async function probeForCapture(request: ProbeRequest): Promise<Probes> {
  const [{ probe }, { probeSystem }, { probeGpus }, { probeGit }, { probeDependencies }, { probeRuntimes }] = await Promise.all([
    import("../facts/probe.js"),
    import("../facts/probe-system.js"),
    import("../facts/probe-gpu.js"),
    import("../facts/probe-git.js"),
    import("../facts/probe-deps.js"),
    import("../facts/probe-runtimes.js"),
  ]);
  const { root, recordFolder } = request;
  const notGit: Probed<never> = { available: false, reason: `not a git repository (root taken as ${root})` };
  const gitWarnings: string[] = [];
  const gitOptions = {
    root,
    recordFolder,
    maxUntrackedBytes: request.maxUntrackedBytes,
    includeSecretFiles: request.includeSecretFiles,
    warn: (line: string) => void gitWarnings.push(line),
  };
  const [system, gpus, git, dependencies, runtimes, inputs] = await Promise.all([
    probe("system", PROBE_TIMEOUT_MS, probeSystem),
    probe("gpu", PROBE_TIMEOUT_MS, () => probeGpus(PROBE_TIMEOUT_MS, request.host.env["PATH"])),
    request.inGit ? probe("git", GIT_TIMEOUT_MS, () => probeGit(gitOptions)) : Promise.resolve(notGit),
    probeDependencies(root, request.cwdRel, recordFolder).catch((error: unknown) => ({
      lockfiles: [],
      nodeModules: { available: false as const, reason: describeError(error) },
    })),
    probeRuntimes(request.host, request.cwd, PROBE_TIMEOUT_MS),
    Promise.all(request.inputs.map((p) => hashPath(root, p))),
  ]);
  const warnings: string[] = [];
  if (request.inGit && !git.available) warnings.push(`git state not recorded (pack will refuse this run): ${git.reason}`);
  if (git.available) {
    warnings.push(...gitWarnings);
    for (const e of git.excluded) {
      warnings.push(
        e.reason === "too-large"
          ? `untracked ${e.path} (${e.sizeBytes} bytes) is over --max-untracked-size: recorded by sha256, not in the patch`
          : `untracked ${e.path} looks like a secret: left out of the patch (--include-secret-files to keep it)`,
      );
    }
  }
  return { system, gpus, git, dependencies, runtimes, inputs, warnings };
}

/** The declared outputs, hashed after the run; one that is missing or a symbolic link becomes a warning. */
export async function hashOutputs(root: string, outputs: readonly string[]): Promise<{ hashed: HashedPath[]; warnings: string[] }> {
  const hashed: HashedPath[] = [];
  const warnings: string[] = [];
  for (const path of outputs) {
    const info = await lstat(join(root, path)).catch(() => undefined);
    if (!info) warnings.push(`declared output ${path} was not written`);
    else if (info.isSymbolicLink()) warnings.push(`declared output ${path} is a symbolic link: not followed, not hashed`);
    else hashed.push(await hashPath(root, path));
  }
  return { hashed, warnings };
}
