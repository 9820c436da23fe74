import { execFile, spawn } from "node:child_process";
import { open } from "node:fs/promises";

/** Settings that make git's output the same whatever the user's config: plain, a/ b/ prefixes. */
const NEUTRAL_CONFIG = [
  "-c", "core.quotePath=false", "-c", "color.ui=false", "-c", "diff.noprefix=false",
  "-c", "diff.mnemonicPrefix=false", "-c", "diff.relative=false",
];

export interface GitCall {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: Uint8Array;
}

function gitEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // GIT_OPTIONAL_LOCKS=0: never take the user's index lock just to look.
  return { ...process.env, ...extra, GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" };
}

/** Runs git and returns stdout as bytes (binary-safe); rejects with git's own stderr. */
export function git(args: readonly string[], call: GitCall): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      [...NEUTRAL_CONFIG, ...args],
      { cwd: call.cwd, env: gitEnv(call.env), encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args[0]}: ${stderr.toString().trim() || error.message}`, { cause: error }));
        else resolve(stdout);
      },
    );
    if (call.input) child.stdin?.end(call.input);
  });
}

/** Like git(), but returns trimmed text, or null when git exits non-zero (a ref that does not exist). */
export async function gitMaybe(args: readonly string[], call: GitCall): Promise<string | null> {
  try {
    return (await git(args, call)).toString("utf8").trim();
  } catch {
    return null;
  }
}

/** Runs git with stdout written straight to `file`: patches can be larger than any buffer. */
export async function gitToFile(args: readonly string[], call: GitCall, file: string): Promise<void> {
  const handle = await open(file, "w", 0o644);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn("git", [...NEUTRAL_CONFIG, ...args], {
        cwd: call.cwd,
        env: gitEnv(call.env),
        stdio: ["ignore", handle.fd, "pipe"],
      });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", reject);
      child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git ${args[0]}: ${stderr.trim() || `exit ${code}`}`))));
    });
    await handle.sync();
  } finally {
    await handle.close();
  }
}
