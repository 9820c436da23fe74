// Is a captured command a Python one, and which interpreter would run it? Answered from the command
// line, PATH and a few files, without starting the command's interpreter (a pyenv shim alone takes
// ~250 ms): `python3 x.py`, `/venv/bin/python`, a script whose shebang names Python, and the
// launchers `uv run`, `poetry run` and `pipenv run`, which run inside a project's environment.
import { access, constants, open, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { runProcess } from "../primitives/run-process.js";
import { findOnPath } from "./probe.js";
import { pyenvVersion } from "./probe-runtimes.js";

/** The interpreter found, or why a command that is Python could not be resolved to one. */
export type PythonCommand = { executable: string } | { executable: null; reason: string };

export interface PythonCommandContext {
  cwd: string;
  env: Readonly<Record<string, string | undefined>>;
  /** How long a launcher may take to say where its environment is. */
  timeoutMs: number;
}

const INTERPRETER = /^python(\d+(\.\d+)?)?$/;
const LAUNCHERS = new Set(["uv", "poetry", "pipenv"]);
/** Launcher options that take a value: skipped with it to find the command after `run`. */
const VALUE_OPTIONS = new Set(["--with", "--python", "-p", "--project", "--directory", "--extra", "--group", "--package", "--env-file"]);

/** The interpreter of a command, or null when the command is not Python. */
export async function detectPythonCommand(
  argv: readonly string[],
  shell: boolean,
  context: PythonCommandContext,
): Promise<PythonCommand | null> {
  // A shell line is understood only when it is plain words: `python3 train.py --lr 0.1`.
  const words = shell ? plainWords(argv.join(" ")) : argv;
  if (!words || words.length === 0) return null;
  const [first, ...rest] = words as [string, ...string[]];
  const name = basename(first);
  if (LAUNCHERS.has(name) && rest[0] === "run") return launched(name, rest.slice(1), context);
  if (INTERPRETER.test(name)) {
    const found = await locate(first, context);
    return found ? { executable: await throughPyenv(found, context) } : { executable: null, reason: `${first} not found` };
  }
  const file = await locate(first, context);
  const shebang = file ? await readShebang(file) : null;
  if (!shebang || !INTERPRETER.test(basename(shebang[0]!))) return null;
  // `#!/usr/bin/env python3` looks python3 up on PATH; `#!/venv/bin/python` names it.
  return detectPythonCommand(shebang, false, context);
}

/** `uv run`/`poetry run`/`pipenv run`: the project's environment, and whether the command in it is Python. */
async function launched(launcher: string, args: readonly string[], context: PythonCommandContext): Promise<PythonCommand | null> {
  let i = 0;
  while (i < args.length && args[i]!.startsWith("-")) i += VALUE_OPTIONS.has(args[i]!) ? 2 : 1;
  const inner = args.slice(i);
  if (inner.length === 0) return null;
  const environment = await launcherEnvironment(launcher, context);
  if (typeof environment !== "string") {
    const looksPython = INTERPRETER.test(basename(inner[0]!)) || inner[0]!.endsWith(".py");
    return looksPython ? { executable: null, reason: `${launcher} run: ${environment.reason}` } : null;
  }
  // Inside the environment its bin/ comes first on PATH, as the launcher arranges.
  const bin = join(environment, "bin");
  const found = await detectPythonCommand(inner, false, {
    ...context,
    env: { ...context.env, PATH: `${bin}:${context.env["PATH"] ?? ""}` },
  });
  if (found === null && inner[0]!.endsWith(".py")) return { executable: join(bin, "python") };
  return found;
}

/** The folder of the launcher's virtual environment, or why it is not known. */
async function launcherEnvironment(launcher: string, context: PythonCommandContext): Promise<string | { reason: string }> {
  const { env, cwd } = context;
  if (launcher === "uv" && env["UV_PROJECT_ENVIRONMENT"]) return resolve(cwd, env["UV_PROJECT_ENVIRONMENT"]);
  if (launcher !== "uv" && env["VIRTUAL_ENV"]) return env["VIRTUAL_ENV"];
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (await isExecutable(join(dir, ".venv", "bin", "python"))) return join(dir, ".venv");
    if (dirname(dir) === dir) break;
  }
  if (launcher === "uv") return { reason: "no .venv with bin/python in the working folder or above it (run `uv sync` first)" };
  // poetry and pipenv may keep their environments in a cache folder: ask them where.
  const tool = await findOnPath(launcher, env["PATH"]);
  if (!tool) return { reason: `${launcher} not found on PATH` };
  const args = launcher === "poetry" ? ["env", "info", "--path"] : ["--venv"];
  const result = await runProcess(tool, args, { cwd, env, timeoutMs: context.timeoutMs });
  const path = result.stdout.toString("utf8").trim().split("\n").pop() ?? "";
  if (result.code === 0 && isAbsolute(path)) return path;
  return { reason: `\`${launcher} ${args.join(" ")}\` named no environment${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}` };
}

/** A command word as the OS would find it: a path (relative to cwd) or a name on PATH. */
async function locate(word: string, context: PythonCommandContext): Promise<string | undefined> {
  if (word.includes("/")) return (await isExecutable(resolve(context.cwd, word))) ? resolve(context.cwd, word) : undefined;
  return findOnPath(word, context.env["PATH"]);
}

/** A pyenv shim stands for the interpreter pyenv would pick; found from pyenv's files, not by running it. */
async function throughPyenv(found: string, context: PythonCommandContext): Promise<string> {
  const shim = /^(.*)\/shims\/([^/]+)$/.exec(found);
  if (!shim) return found;
  const [, root, name] = shim as unknown as [string, string, string];
  const version = await pyenvVersion(root, context.env, context.cwd);
  if (version === "system") {
    const rest = (context.env["PATH"] ?? "").split(":").filter((d) => d && resolve(d) !== join(root, "shims"));
    return (await findOnPath(name, rest.join(":"))) ?? found;
  }
  const real = version ? join(root, "versions", version, "bin", name) : undefined;
  return real && (await isExecutable(real)) ? real : found;
}

/** The words of a `#!` line (`/usr/bin/env python3` gives ["python3"]), or null when there is none. */
export async function readShebang(file: string): Promise<string[] | null> {
  if (!(await stat(file).catch(() => undefined))?.isFile()) return null;
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return null;
  try {
    const buffer = Buffer.alloc(256);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return parseShebang(buffer.subarray(0, bytesRead).toString("latin1"));
  } finally {
    await handle.close();
  }
}

/** Pure part of readShebang. `env` and `env -S` are stepped over; their options are dropped. */
export function parseShebang(head: string): string[] | null {
  if (!head.startsWith("#!")) return null;
  const words = head.slice(2).split("\n")[0]!.trim().split(/\s+/).filter(Boolean);
  if (words.length > 0 && basename(words[0]!) === "env") {
    const start = words.findIndex((w, i) => i > 0 && !w.startsWith("-") && !w.includes("="));
    return start > 0 ? words.slice(start) : null;
  }
  return words.length > 0 ? words : null;
}

function plainWords(line: string): string[] | null {
  return /^[\w./=:@+,-]+(\s+[\w./=:@+,-]+)*$/.test(line.trim()) ? line.trim().split(/\s+/) : null;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}
