// Can the packed command start at the reviewer? Its entry file must be in the image's code, and its
// interpreter must run in the built image. Checked at pack, so a bundle that cannot start is never written.

import { open } from "node:fs/promises";
import { posix } from "node:path";
import { Writable } from "node:stream";
import { APP_DIR, containerWorkdir } from "../bundle/image-layout.js";
import type { TarEntry } from "../bundle/tar-writer.js";
import type { DockerClient } from "../docker/docker-client.js";
import { BadInputError } from "../errors.js";
import type { ImageRuntime } from "../facts/environment-drift.js";
import { gitMaybe } from "../facts/git.js";
import { parseImageRuntime, runtimeProbeArgv } from "../facts/probe-image-runtime.js";

export interface CommandEntry {
  readonly runtime: "node" | "python" | null;
  /** The program run with --version in the image; null when nothing is known to check. */
  readonly interpreter: string | null;
  /** The script the interpreter runs, as written on the command line; null for -c, -e, -m or no script. */
  readonly entry: string | null;
}

const NODE = /^(node|nodejs)$/;
const PYTHON = /^python(\d+(\.\d+)*)?$/;
const LAUNCHERS = new Set(["uv", "poetry", "pipenv"]);
/** Options of node and python that take the next word as their value. */
const NODE_VALUE_FLAGS = new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions"]);
const PYTHON_VALUE_FLAGS = new Set(["-W", "-X", "--check-hash-based-pycs"]);

/**
 * What a command line runs: `node [options] script`, `python3 [options] script.py`, `uv run python x.py`
 * (the launcher is then what must start), or `./script` whose shebang names node or python (read by
 * `shebangOf`, given the script's path relative to the working folder).
 */
export function parseCommandEntry(argv: readonly string[], shebangOf: (path: string) => string | null = () => null): CommandEntry {
  const [program = "", ...args] = argv;
  const name = posix.basename(program);
  if (NODE.test(name))
    return { runtime: "node", interpreter: program, entry: scriptOf(args, NODE_VALUE_FLAGS, /^(-e|-p|--eval|--print)$/) };
  if (PYTHON.test(name)) return { runtime: "python", interpreter: program, entry: scriptOf(args, PYTHON_VALUE_FLAGS, /^-[^-]*[cm]$/) };
  if (LAUNCHERS.has(name) && args[0] === "run") {
    const rest = args.slice(1).filter((a) => !a.startsWith("-"));
    const inner = rest.length > 0 ? parseCommandEntry(rest, shebangOf) : null;
    const entry = inner?.runtime ? inner.entry : rest[0]?.endsWith(".py") ? rest[0] : null;
    return { runtime: "python", interpreter: program, entry };
  }
  if (program.includes("/") && !posix.isAbsolute(program)) {
    const line = shebangOf(program);
    const words =
      line
        ?.replace(/^#!\s*/, "")
        .trim()
        .split(/\s+/) ?? [];
    const named = posix.basename(words[0] ?? "") === "env" ? words.find((w, i) => i > 0 && !w.startsWith("-")) : words[0];
    const runtime = named && NODE.test(posix.basename(named)) ? "node" : named && PYTHON.test(posix.basename(named)) ? "python" : null;
    return { runtime, interpreter: runtime ? named! : null, entry: program };
  }
  return { runtime: null, interpreter: null, entry: null };
}

/** The first word after the options; null when an option (-c, -e, -m) says there is no script file. */
function scriptOf(args: readonly string[], valueFlags: ReadonlySet<string>, noScript: RegExp): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return args[i + 1] ?? null;
    if (noScript.test(a)) return null;
    if (valueFlags.has(a)) i++;
    else if (!a.startsWith("-") || a === "-") return a === "-" ? null : a;
  }
  return null;
}

/**
 * The entry, relative to the repository root, must be among the files the image's code holds
 * (`present`: paths relative to the root: the snapshot, --include'd files and mounted inputs).
 * When it is not, says why (git ignores it, or it came after the run) and what to do (exit 2).
 */
export async function checkEntryPresent(entry: CommandEntry, cwd: string, present: ReadonlySet<string>, root: string): Promise<void> {
  if (entry.entry === null || posix.isAbsolute(entry.entry)) return;
  const rel = posix.normalize(posix.join(cwd, entry.entry));
  if (rel.startsWith("../")) return; // outside the repository: nothing of the code to check against
  if (present.has(rel)) return;
  const ignored = await gitMaybe(["check-ignore", "--no-index", "-v", "--", rel], { cwd: root });
  const tracked = await gitMaybe(["ls-files", "--error-unmatch", "--", rel], { cwd: root });
  const cause = ignored
    ? `it is ignored by git (${ignored.split("\t")[0]}), so neither the commit nor the recorded patch holds it`
    : tracked === null
      ? "it is neither in the run's commit nor in its recorded patch"
      : "it is not in the run's commit (committed after the run?)";
  throw new BadInputError(
    `the command's entry ${rel} is not in the bundle's code: ${cause}; the bundle would fail at the reviewer ("Cannot find module")`,
    `Commit ${rel} (or stop ignoring it) and capture again, or put it in the image with: mlx pack --include ${rel}`,
  );
}

/**
 * The command's entry and interpreter, and the check that the entry is in the image's code: `entries`
 * is the build context (the code under app/), `inputs` the declared inputs replay mounts under /app.
 */
export async function checkCommandEntry(
  argv: readonly string[],
  cwd: string,
  entries: readonly TarEntry[],
  inputs: readonly string[],
  root: string,
): Promise<CommandEntry> {
  const byPath = new Map(entries.filter((e) => e.name.startsWith("app/")).map((e) => [e.name.slice("app/".length), e]));
  const program = argv[0] ?? "";
  const shebang = program.includes("/") ? await firstLineOf(byPath.get(posix.normalize(posix.join(cwd, program)))) : null;
  const entry = parseCommandEntry(argv, () => shebang);
  await checkEntryPresent(entry, cwd, new Set([...byPath.keys(), ...inputs]), root);
  return entry;
}

async function firstLineOf(entry: TarEntry | undefined): Promise<string | null> {
  if (!entry) return null;
  let head: Buffer;
  if (entry.source.kind === "data") head = Buffer.from(entry.source.data.subarray(0, 256));
  else if (entry.source.kind === "file") {
    const handle = await open(entry.source.path, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } else return null;
  const line = head.toString("utf8").split("\n")[0] ?? "";
  return line.startsWith("#!") ? line : null;
}

/** What the start check needs to run one short container in the built image. */
export interface StartCheck {
  readonly imageId: string;
  readonly baseImage: string;
  /** The working folder relative to the repository root. */
  readonly cwd: string;
  /** The run's lockfiles (relative to the root): their digests in the image are recorded. */
  readonly lockfiles: readonly string[];
}

/**
 * Runs the interpreter once in the built image, with the hardened settings replay uses (no network,
 * nobody, read-only root): refused with exit 2 when it cannot start, e.g. a Python command on a Node
 * base image (`exec: "python3": executable file not found`). For node and python themselves that run
 * is the probe of the image's facts (versions, packages, thread settings), returned for bundle.yaml;
 * a launcher (uv, poetry) runs with --version and gives none.
 */
export async function checkInterpreterStarts(docker: DockerClient, entry: CommandEntry, check: StartCheck): Promise<ImageRuntime | null> {
  if (entry.interpreter === null) return null;
  const name = posix.basename(entry.interpreter);
  const probing = entry.runtime !== null && (NODE.test(name) || PYTHON.test(name));
  const argv = probing
    ? runtimeProbeArgv({ kind: entry.runtime!, interpreter: entry.interpreter, lockfiles: check.lockfiles, appDir: APP_DIR })
    : [entry.interpreter, "--version"];
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const refuse = (why: string, cause?: unknown): BadInputError =>
    new BadInputError(
      `${entry.interpreter} cannot start in the image built on ${check.baseImage}: ${why}`,
      entry.runtime === "python"
        ? "Choose a base image with that interpreter (--base-image python:<version>-slim-bookworm), or leave --base-image out."
        : "Choose a base image with that interpreter with --base-image, or leave --base-image out. No bundle was written.",
      cause === undefined ? undefined : { cause },
    );
  let result;
  try {
    result = await docker.run(
      {
        imageId: check.imageId,
        argv,
        workdir: containerWorkdir(check.cwd),
        env: { HOME: "/tmp" },
        binds: [],
        network: false,
        cpus: 1,
        memoryBytes: 512 * 2 ** 20,
        pidsLimit: 64,
        gpus: null,
        keep: false,
        labels: { "org.mlx.check": "command-starts" },
        timeoutMs: 60_000,
        fileSizeBytes: 2 ** 20,
      },
      { stdout: collectInto(stdout), stderr: collectInto(stderr), interrupted: new Promise<NodeJS.Signals>(() => undefined) },
    );
  } catch (error) {
    if (error instanceof BadInputError) throw refuse(`exec: "${entry.interpreter}": executable file not found in the image`, error);
    throw error;
  }
  if (result.exitCode !== 0) {
    const said = Buffer.concat([...stderr, ...stdout])
      .toString("utf8")
      .trim()
      .split("\n")
      .slice(-2)
      .join(" ");
    throw refuse(`\`${entry.interpreter}\` exited ${result.exitCode}${said ? `: ${said}` : ""}`);
  }
  return probing ? parseImageRuntime(Buffer.concat(stdout).toString("utf8")) : null;
}

/** A sink that keeps at most 64 KiB: the output of --version is one line. */
function collectInto(chunks: Buffer[]): NodeJS.WritableStream {
  let kept = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (kept < 65_536) chunks.push(chunk);
      kept += chunk.length;
      done();
    },
  });
}
