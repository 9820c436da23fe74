// What a Python command runs under: the interpreter, its environment (venv or system), every
// installed distribution with a fingerprint, the Debian packages that own them for a system Python,
// and torch's build (CUDA, cuDNN) read from its version.py as text: importing torch takes seconds.
import { readFile, realpath } from "node:fs/promises";
import { join } from "node:path";
import type { Probed, PythonInfo } from "../record/types.js";
import { runProcess } from "../primitives/run-process.js";
import { findOnPath } from "./probe.js";
import { detectPythonCommand, type PythonCommandContext } from "./python-command.js";
import { type FoundDistribution, readPythonFacts } from "./python-distributions.js";

export interface PythonProbeRequest extends PythonCommandContext {
  argv: readonly string[];
  shell: boolean;
}

/** Why a run has no Python facts when its command is not Python (node, a shell script...). */
export const NOT_PYTHON = "not a Python command";

/** The Python facts of a command; rejects (the caller records why) when it is not Python or cannot be asked. */
export async function probePython(request: PythonProbeRequest): Promise<PythonInfo> {
  const command = await detectPythonCommand(request.argv, request.shell, request);
  if (command === null) throw new Error(NOT_PYTHON);
  if (command.executable === null) throw new Error(command.reason);
  const facts = await readPythonFacts(command.executable, { env: request.env, cwd: request.cwd, timeoutMs: request.timeoutMs });
  const environment = facts.prefix !== facts.basePrefix ? "venv" : facts.basePrefix === "/usr" ? "system" : "other";
  // dpkg knows the interpreter by its real file (/usr/bin/python3.11), not the python3 link.
  const interpreter = await realpath(facts.executable).catch(() => facts.executable);
  const underUsr = facts.distributions.flatMap((d) => (d.metadataPath?.startsWith("/usr/") ? [d.metadataPath] : []));
  const owners = await probeDebianOwners([interpreter, ...underUsr], request);
  const interpreterPackage = owners.get(interpreter);
  const distributions = facts.distributions.map(({ metadataPath, ...d }) => {
    const debian = metadataPath === null ? undefined : owners.get(metadataPath);
    return debian ? { ...d, debian } : d;
  });
  const torch = await probeTorch(facts.distributions);
  return {
    executable: command.executable,
    version: facts.version,
    implementation: facts.implementation,
    environment,
    prefix: facts.prefix,
    basePrefix: facts.basePrefix,
    siteFolders: facts.siteFolders,
    distributions,
    ...(interpreterPackage ? { interpreterPackage } : {}),
    ...(torch ? { torch } : {}),
  };
}

/**
 * The distributions a run imported, from the lines mlx's sitecustomize appends at each Python process's
 * exit (`{"top": true, "distributions": [...]}`): their union, or null when no line is from the run's
 * first Python (it was killed, or exited through os._exit): then what it used is not known.
 */
export function parsePythonImports(text: string): string[] | null {
  let top = false;
  const names = new Set<string>();
  for (const line of text.split("\n")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // a line cut short (the disk filled, a process killed mid-write) says nothing
    }
    if (typeof parsed !== "object" || parsed === null) continue;
    const { top: isTop, distributions } = parsed as { top?: unknown; distributions?: unknown };
    if (!Array.isArray(distributions)) continue;
    for (const name of distributions) if (typeof name === "string") names.add(name);
    if (isTop === true) top = true;
  }
  return top ? [...names].sort() : null;
}

/** The file's list (see parsePythonImports); null when there is no file: the run was not Python, or was killed. */
export async function readPythonImports(file: string): Promise<string[] | null> {
  const text = await readFile(file, "utf8").catch(() => null);
  return text === null ? null : parsePythonImports(text);
}

/**
 * The Python facts with `imported`: the recorded distributions the run imported, by their recorded names
 * (matched as pip does: case, "-", "_" and "." alike). Unchanged when the list is not known.
 */
export function withImported<T extends Probed<PythonInfo>>(python: T, imported: readonly string[] | null): T {
  if (!python.available || imported === null) return python;
  const key = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, "-");
  const wanted = new Set(imported.map(key));
  const names = python.distributions.filter((d) => wanted.has(key(d.name))).map((d) => d.name);
  return { ...python, imported: [...new Set(names)].sort() };
}

interface DebianPackage {
  package: string;
  version: string;
}

/** The Debian package owning each path, in one `dpkg-query -S` and one `-W` call; empty where there is no dpkg. */
export async function probeDebianOwners(paths: readonly string[], context: PythonCommandContext): Promise<Map<string, DebianPackage>> {
  const owners = new Map<string, DebianPackage>();
  const dpkgQuery = await findOnPath("dpkg-query", context.env["PATH"]);
  if (!dpkgQuery || paths.length === 0) return owners;
  const call = { cwd: context.cwd, timeoutMs: context.timeoutMs, env: { LC_ALL: "C" } };
  // Exit 1 only says some path has no owner: the lines for the others are still right.
  const searched = await runProcess(dpkgQuery, ["-S", ...paths], call);
  const byPath = parseDpkgSearch(searched.stdout.toString("utf8"));
  const names = [...new Set(byPath.values())];
  if (names.length === 0) return owners;
  const listed = await runProcess(dpkgQuery, ["-W", "-f", "${Package}\\t${Version}\\n", ...names], call);
  const versions = new Map(
    listed.stdout
      .toString("utf8")
      .split("\n")
      .map((line) => line.split("\t"))
      .filter((parts): parts is [string, string] => parts.length === 2 && parts[1] !== ""),
  );
  for (const [path, name] of byPath) {
    const version = versions.get(name);
    if (version) owners.set(path, { package: name, version });
  }
  return owners;
}

/** `dpkg-query -S` lines ("python3-numpy:amd64: /usr/lib/...") to path -> package (the first owner, without its arch). */
export function parseDpkgSearch(text: string): Map<string, string> {
  const byPath = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([^\s:,]+)(?::[\w-]+)?(?:, [^:]+)?: (\/.*)$/.exec(line);
    if (match && !line.startsWith("diversion ")) byPath.set(match[2]!, match[1]!);
  }
  return byPath;
}

/** torch's version, CUDA and git version from its version.py, cuDNN from an nvidia-cudnn-cu* distribution. */
export async function probeTorch(distributions: readonly FoundDistribution[]): Promise<PythonInfo["torch"]> {
  const torch = distributions.find((d) => d.name.toLowerCase() === "torch");
  if (!torch) return undefined;
  const text = await readFile(join(torch.location, "torch", "version.py"), "utf8").catch(() => undefined);
  const parsed = text === undefined ? undefined : parseTorchVersion(text);
  const cudnn = distributions.find((d) => /^nvidia-cudnn-cu\d+$/i.test(d.name))?.version ?? parsed?.cudnn ?? null;
  return {
    version: parsed?.version ?? torch.version,
    cuda: parsed?.cuda ?? null,
    cudnn,
    ...(parsed?.gitVersion ? { gitVersion: parsed.gitVersion } : {}),
  };
}

/** torch/version.py's assignments (`__version__ = '2.11.0+cu130'`, `cuda: Optional[str] = '13.0'`), read as text. */
export function parseTorchVersion(text: string): { version?: string; cuda: string | null; cudnn: string | null; gitVersion?: string } {
  const value = (name: string): string | null | undefined => {
    const match = new RegExp(`^${name}\\s*(?::[^=\\n]*)?=\\s*(?:'([^']*)'|"([^"]*)"|(None))\\s*$`, "m").exec(text);
    if (!match) return undefined;
    return match[3] ? null : (match[1] ?? match[2] ?? null);
  };
  const version = value("__version__");
  const gitVersion = value("git_version");
  return {
    ...(version ? { version } : {}),
    cuda: value("cuda") ?? null,
    cudnn: value("cudnn") ?? null,
    ...(gitVersion ? { gitVersion } : {}),
  };
}
