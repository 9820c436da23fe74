import { readFile, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describeError } from "../errors.js";
import type { Runtimes } from "../record/types.js";
import { probeEngineVersion } from "../docker/engine-version.js";
import { runProcessOrThrow } from "../primitives/run-process.js";
import type { HostProcess } from "./host-process.js";
import { findOnPath } from "./probe.js";

/**
 * node, npm, python and Docker versions, each without the slow path: npm's version from its
 * package.json (not `npm -v`), Docker's from the socket's /version (not `docker version`).
 */
export async function probeRuntimes(host: HostProcess, cwd: string, timeoutMs: number): Promise<Runtimes> {
  const env = host.env;
  const missing: Record<string, string> = {};
  const attempt = async (name: string, fn: () => Promise<string | undefined>): Promise<string | undefined> => {
    try {
      const version = await fn();
      if (version === undefined) missing[name] = "not found on PATH";
      return version;
    } catch (error) {
      missing[name] = describeError(error);
      return undefined;
    }
  };
  const [node, npm, python, docker] = await Promise.all([
    attempt("node", () => nodeVersion(host, cwd, timeoutMs)),
    attempt("npm", () => npmVersion(env)),
    attempt("python", () => pythonVersion(env, cwd, timeoutMs)),
    attempt("docker", () => probeEngineVersion(timeoutMs, host.env)),
  ]);
  return {
    ...(node ? { node } : {}),
    ...(npm ? { npm } : {}),
    ...(python ? { python } : {}),
    ...(docker ? { docker } : {}),
    ...(Object.keys(missing).length > 0 ? { missing } : {}),
  };
}

async function nodeVersion(host: HostProcess, cwd: string, timeoutMs: number): Promise<string | undefined> {
  const found = await findOnPath("node", host.env["PATH"]);
  if (!found) return undefined;
  // The node on PATH is usually the one running mlx: no need to start it again.
  if ((await realpath(found)) === (await realpath(host.execPath))) return host.nodeVersion;
  const { stdout } = await runProcessOrThrow(found, ["--version"], { cwd, timeoutMs }, `${found} --version`);
  return stdout.toString("utf8").trim().replace(/^v/, "");
}

async function npmVersion(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const found = await findOnPath("npm", env["PATH"]);
  if (!found) return undefined;
  const cli = await realpath(found); // .../lib/node_modules/npm/bin/npm-cli.js
  const pkg = JSON.parse(await readFile(join(dirname(cli), "..", "package.json"), "utf8")) as { name?: string; version?: string };
  return pkg.name === "npm" ? pkg.version : undefined;
}

async function pythonVersion(env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<string | undefined> {
  const found = (await findOnPath("python3", env["PATH"])) ?? (await findOnPath("python", env["PATH"]));
  if (!found) return undefined;
  // A pyenv shim takes ~250 ms to start; pyenv's own version files say the same for free.
  const shim = /^(.*)\/shims\/python3?$/.exec(found);
  const pinned = shim ? await pyenvVersion(shim[1]!, env, cwd) : undefined;
  if (pinned && pinned !== "system") return pinned;
  // Python before 3.4 printed its version on stderr.
  const { stdout, stderr } = await runProcessOrThrow(found, ["--version"], { cwd, timeoutMs }, `${found} --version`);
  return /Python\s+(\S+)/.exec(stdout.toString("utf8") + stderr)?.[1];
}

/** The version pyenv would pick: PYENV_VERSION, the nearest .python-version, then $PYENV_ROOT/version. */
export async function pyenvVersion(pyenvRoot: string, env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const first = (text: string | undefined): string | undefined => text?.split(/\s+/).find(Boolean);
  if (env["PYENV_VERSION"]) return first(env["PYENV_VERSION"]);
  for (let dir = cwd; ; dir = dirname(dir)) {
    const local = await readFile(join(dir, ".python-version"), "utf8").catch(() => undefined);
    if (local !== undefined) return first(local);
    if (dirname(dir) === dir) break;
  }
  return first(await readFile(join(pyenvRoot, "version"), "utf8").catch(() => undefined));
}
