import { open } from "node:fs/promises";
import { runProcessOrThrow } from "../primitives/run-process.js";

/** Settings that make git's output the same whatever the user's config: plain, a/ b/ prefixes. */
const NEUTRAL_CONFIG = [
  "-c",
  "core.quotePath=false",
  "-c",
  "color.ui=false",
  "-c",
  "diff.noprefix=false",
  "-c",
  "diff.mnemonicPrefix=false",
  "-c",
  "diff.relative=false",
];

export interface GitCall {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: Uint8Array;
}

function gitEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // GIT_OPTIONAL_LOCKS=0: never take the user's index lock just to look.
  return { ...extra, GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C", GIT_TERMINAL_PROMPT: "0" };
}

/** Runs git and returns stdout as bytes (binary-safe); rejects with git's own stderr. */
export async function git(args: readonly string[], call: GitCall): Promise<Buffer> {
  return (await runProcessOrThrow("git", [...NEUTRAL_CONFIG, ...args], { ...call, env: gitEnv(call.env) }, `git ${args[0]}`)).stdout;
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
    await runProcessOrThrow("git", [...NEUTRAL_CONFIG, ...args], { ...call, env: gitEnv(call.env), stdout: handle.fd }, `git ${args[0]}`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}
