import { execFile } from "node:child_process";
import { readFile, realpath } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { describeError } from "../errors.js";
import type { Runtimes } from "../record/types.js";
import { probeEngineVersion } from "../docker/engine-version.js";
import { findOnPath } from "./probe.js";

const run = promisify(execFile);

/**
 * node, npm, python and Docker versions, each without the slow path: npm's version from its
 * package.json (not `npm -v`), Docker's from the socket's /version (not `docker version`).
 */
export async function probeRuntimes(env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<Runtimes> {
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
    attempt("node", () => nodeVersion(env, timeoutMs)),
    attempt("npm", () => npmVersion(env)),
    attempt("python", () => pythonVersion(env, cwd, timeoutMs)),
    attempt("docker", () => probeEngineVersion(timeoutMs)),
  ]);
  return {
    ...(node ? { node } : {}),
    ...(npm ? { npm } : {}),
    ...(python ? { python } : {}),
    ...(docker ? { docker } : {}),
    ...(Object.keys(missing).length > 0 ? { missing } : {}),
  };
}

async function nodeVersion(env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string | undefined> {
  const found = await findOnPath("node", env["PATH"]);
  if (!found) return undefined;
  // The node on PATH is usually the one running mlx: no need to start it again.
  if ((await realpath(found)) === (await realpath(process.execPath))) return process.versions.node;
  return (await run(found, ["--version"], { timeout: timeoutMs })).stdout.trim().replace(/^v/, "");
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
  // A pyenv shim takes ~250 ms to start (FIELD-NOTES); pyenv's own version files say the same for free.
  const shim = /^(.*)\/shims\/python3?$/.exec(found);
  const pinned = shim ? await pyenvVersion(shim[1]!, env, cwd) : undefined;
  if (pinned && pinned !== "system") return pinned;
  const { stdout, stderr } = await run(found, ["--version"], { timeout: timeoutMs });
  return /Python\s+(\S+)/.exec(stdout + stderr)?.[1];
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
