import { lstat } from "node:fs/promises";
import { join } from "node:path";
import { describeError } from "../errors.js";
import type { HostProcess } from "../facts/host-process.js";
import { hashPath } from "../primitives/hash-paths.js";
import type { HashedPath, Probed, PythonInfo, RunManifest, Runtimes } from "../record/types.js";

const PROBE_TIMEOUT_MS = 5000;
const GIT_TIMEOUT_MS = 60_000;
/** Listing a large environment (torch and CUDA wheels: ~200 distributions) takes a while on a busy host. */
const PYTHON_TIMEOUT_MS = 30_000;

/** What capture records about the host, the code, the dependencies and the inputs. */
export interface Probes {
  system: RunManifest["system"];
  gpus: RunManifest["gpus"];
  git: RunManifest["git"];
  runtimes: RunManifest["runtimes"];
  dependencies: RunManifest["dependencies"];
  /** The interpreter and distributions of a Python command; `{ available: false }` for any other. */
  python?: RunManifest["python"];
  /** The command is a Python one, even when its interpreter could not be asked: the Python preload is the one that applies. */
  pythonCommand?: boolean;
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
  /** The command as it runs (cwd: where it starts): whether it is Python, and under which interpreter. */
  command?: { argv: readonly string[]; shell: boolean; cwd: string };
}

/**
 * Every probe at once, each bounded in time and degrading to `{ available: false, reason }`:
 * a probe that fails never fails the run. The modules load here, after the command has started.
 */
export async function probeForCapture(request: ProbeRequest): Promise<Probes> {
  const [{ probe }, { probeSystem }, { probeGpus }, { probeGit }, { probeDependencies }, { probeRuntimes }, { probePython, NOT_PYTHON }] =
    await Promise.all([
      import("../facts/probe.js"),
      import("../facts/probe-system.js"),
      import("../facts/probe-gpu.js"),
      import("../facts/probe-git.js"),
      import("../facts/probe-deps.js"),
      import("../facts/probe-runtimes.js"),
      import("../facts/probe-python.js"),
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
  const command = request.command;
  const pythonProbe = (): Promise<Probed<PythonInfo>> =>
    command
      ? probe("python", PYTHON_TIMEOUT_MS, () => probePython({ ...command, env: request.host.env, timeoutMs: PYTHON_TIMEOUT_MS }))
      : Promise.resolve({ available: false, reason: NOT_PYTHON });
  const [system, gpus, git, dependencies, runtimes, inputs, python] = await Promise.all([
    probe("system", PROBE_TIMEOUT_MS, probeSystem),
    probe("gpu", PROBE_TIMEOUT_MS, () => probeGpus(PROBE_TIMEOUT_MS, request.host.env["PATH"])),
    request.inGit ? probe("git", GIT_TIMEOUT_MS, () => probeGit(gitOptions)) : Promise.resolve(notGit),
    probeDependencies(root, request.cwdRel, recordFolder).catch((error: unknown) => ({
      lockfiles: [],
      nodeModules: { available: false as const, reason: describeError(error) },
    })),
    probeRuntimes(request.host, request.cwd, PROBE_TIMEOUT_MS),
    Promise.all(request.inputs.map((p) => hashPath(root, p))),
    pythonProbe(),
  ]);
  const pythonCommand = python.available || python.reason !== NOT_PYTHON;
  const recordedRuntimes = python.available ? withPython(runtimes, python.version) : runtimes;
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
  if (!python.available && pythonCommand) warnings.push(`python environment not recorded: ${python.reason}`);
  return { system, gpus, git, dependencies, runtimes: recordedRuntimes, python, pythonCommand, inputs, warnings };
}

/** The interpreter the command ran under wins over the python3 found on PATH. */
function withPython(runtimes: Runtimes, version: string): Runtimes {
  const { missing, ...found } = runtimes;
  const { python: _onPath, ...stillMissing } = missing ?? {};
  return { ...found, python: version, ...(Object.keys(stillMissing).length > 0 ? { missing: stillMissing } : {}) };
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
