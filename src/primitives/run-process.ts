import { type ChildProcess, spawn } from "node:child_process";
import type { Readable } from "node:stream";

export interface ProcessCall {
  cwd: string;
  /** Added to the inherited environment; an undefined value is left out. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Written to stdin, which is then closed; without it stdin is empty. */
  input?: Uint8Array;
  /** Where stdout goes: kept in memory (default), dropped, or an open file descriptor. */
  stdout?: "buffer" | "ignore" | number;
  /** Killed (SIGKILL) after this long; the result then says `timedOut`. */
  timeoutMs?: number;
  /** More stdout than this kills the process (default 256 MiB); the result then says `stdoutOverflow`. */
  maxBufferBytes?: number;
}

export interface ProcessResult {
  /** The exit code, or null when a signal ended it or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** Set when it could not start (ENOENT, EACCES). */
  error?: NodeJS.ErrnoException;
  timedOut: boolean;
  stdoutOverflow: boolean;
}

const MAX_STDERR_CHARS = 64 * 1024;
const DEFAULT_MAX_BUFFER_BYTES = 256 * 1024 * 1024;

/**
 * Runs a program without a shell and resolves with its outcome; never rejects. The one way mlx runs
 * its helpers (git, nvidia-smi, version probes, tar); the user's command has its own runner.
 */
export function runProcess(file: string, args: readonly string[], call: ProcessCall): Promise<ProcessResult> {
  const { child, done } = startProcess(file, args, call, call.stdout ?? "buffer");
  const chunks: Buffer[] = [];
  let size = 0;
  let stdoutOverflow = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > (call.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES)) {
      stdoutOverflow = true;
      child.kill("SIGKILL");
    } else {
      chunks.push(chunk);
    }
  });
  return done.then((result) => ({ ...result, stdout: Buffer.concat(chunks), stdoutOverflow }));
}

/**
 * Like runProcess, but resolves only when the program exited 0, and rejects otherwise with
 * `label: <its stderr>` (or, when it wrote none, why it failed).
 */
export async function runProcessOrThrow(file: string, args: readonly string[], call: ProcessCall, label: string): Promise<ProcessResult> {
  const result = await runProcess(file, args, call);
  const failure = describeFailure(result);
  if (failure === null) return result;
  throw new Error(`${label}: ${result.stderr.trim() || failure}`, { cause: result.error });
}

/** Starts a program whose stdout the caller streams (`git archive | tar`); `done` settles once it exits. */
export function streamProcess(
  file: string,
  args: readonly string[],
  call: ProcessCall,
): { stdout: Readable; done: Promise<ProcessResult> } {
  const { child, done } = startProcess(file, args, call, "pipe");
  return { stdout: child.stdout!, done };
}

/** Why a program did not succeed, in a few words; null when it exited 0. */
export function describeFailure(result: ProcessResult): string | null {
  if (result.error) return `could not start (${result.error.code ?? result.error.message})`;
  if (result.timedOut) return "timed out";
  if (result.stdoutOverflow) return "too much output";
  if (result.signal) return `killed by ${result.signal}`;
  return result.code === 0 ? null : `exit ${result.code}`;
}

function startProcess(
  file: string,
  args: readonly string[],
  call: ProcessCall,
  stdout: "buffer" | "ignore" | "pipe" | number,
): { child: ChildProcess; done: Promise<ProcessResult> } {
  const child = spawn(file, args, {
    cwd: call.cwd,
    // Helpers inherit mlx's environment, as a spawn does by default; node leaves undefined values out.
    env: call.env ? { ...process.env, ...call.env } : process.env,
    stdio: [call.input ? "pipe" : "ignore", stdout === "buffer" ? "pipe" : stdout, "pipe"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8"); // decodes across chunks: a character split in two stays whole
  child.stderr?.on("data", (text: string) => {
    if (stderr.length < MAX_STDERR_CHARS) stderr += text;
  });
  if (call.input) {
    child.stdin?.on("error", () => undefined); // a program that exits without reading its input
    child.stdin?.end(call.input);
  }
  let timedOut = false;
  const timer = call.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), child.kill("SIGKILL")), call.timeoutMs);
  timer?.unref();
  const done = new Promise<ProcessResult>((resolve) => {
    const finish = (result: Pick<ProcessResult, "code" | "signal" | "error">): void => {
      if (timer) clearTimeout(timer);
      resolve({ ...result, stdout: Buffer.alloc(0), stderr, timedOut, stdoutOverflow: false });
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) finish({ code: null, signal: null, error });
    });
    child.once("close", (code, signal) => finish({ code, signal }));
  });
  return { child, done };
}
