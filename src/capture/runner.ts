import { spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { Readable, Writable } from "node:stream";
import { createTee } from "../primitives/tee.js";
import { signalExitCode } from "../primitives/signals.js";

export interface RunnerOptions {
  argv: readonly string[];
  shell: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdoutLog: string;
  stderrLog: string;
  /** Where the child's output is echoed live (the terminal, or stderr under --json). */
  echoStdout: Writable;
  echoStderr: Writable;
  onStdout: (chunk: Uint8Array) => void;
  /** Requests to stop (Ctrl-C, a kill of mlx): forwarded to the child while it runs. */
  interrupts: InterruptSource;
  /** How long to wait for the output pipes to close after the child exits (a grandchild may hold them). */
  drainTimeoutMs: number;
  /** After the first forwarded signal, how long before SIGKILL. */
  killGraceMs: number;
  /**
   * Own process group: signals are forwarded to the whole group. Off when stdin is a terminal, so an
   * interactive child can read it without SIGTTIN; the terminal then signals the child itself.
   */
  ownGroup: boolean;
}

export interface ChildResult {
  pid?: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException & { isDirectory?: boolean };
  endedAt: number;
  interruptedBy?: NodeJS.Signals;
  notes: string[];
}

export interface RunningChild {
  pid?: number;
  result: Promise<ChildResult>;
}

/**
 * Where requests to stop the command come from. The CLI wires mlx's own SIGINT, SIGTERM and SIGHUP
 * to it; a test emits its own. A handler gets the signal to pass on.
 */
export interface InterruptSource {
  on(handler: (signal: NodeJS.Signals) => void): void;
  off(handler: (signal: NodeJS.Signals) => void): void;
}

/**
 * Spawns the command exactly as given (no shell unless asked), tees its output to the terminal and
 * the log files with backpressure, forwards interrupts, and resolves once it has exited and its output
 * is drained (bounded: a background grandchild may keep the pipes open forever).
 */
export function startChild(options: RunnerOptions): RunningChild {
  const [file, ...args] = options.shell ? ["/bin/sh", "-c", options.argv.join(" ")] : options.argv;
  const child = spawn(file!, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ["inherit", "pipe", "pipe"],
    detached: options.ownGroup,
  });
  const notes: string[] = [];
  const logs = [createLog(options.stdoutLog, notes), createLog(options.stderrLog, notes)];
  const echoes = [options.echoStdout, options.echoStderr];
  const streams = [child.stdout, child.stderr];
  // An echo that fails (EPIPE under `mlx capture ... | head`) stops the echo, not the run.
  streams.forEach((stream, i) =>
    stream.pipe(
      createTee(
        [
          { stream: logs[i]!.stream, end: false },
          { stream: echoes[i]!, end: false },
        ],
        i === 0 ? options.onStdout : undefined,
      ),
    ),
  );

  let interruptedBy: NodeJS.Signals | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const signalChild = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      // A negative pid signals the child's whole process group.
      process.kill(options.ownGroup ? -child.pid : child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interruptedBy) {
      signalChild("SIGKILL"); // a second Ctrl-C: stop now
      return;
    }
    interruptedBy = signal;
    // In the terminal's group the terminal already delivered SIGINT/SIGHUP to the child: do not send a second copy.
    if (options.ownGroup || signal === "SIGTERM") signalChild(signal);
    killTimer = setTimeout(() => signalChild("SIGKILL"), options.killGraceMs);
    killTimer.unref();
  };
  options.interrupts.on(onSignal);

  const result = new Promise<ChildResult>((resolve) => {
    let settled = false;
    const finish = async (partial: Omit<ChildResult, "notes" | "endedAt" | "pid">): Promise<void> => {
      if (settled) return;
      settled = true;
      const endedAt = Date.now();
      if (killTimer) clearTimeout(killTimer);
      if (interruptedBy && options.ownGroup && child.pid !== undefined) signalChild("SIGKILL"); // no orphans left in the group
      if (!(await drain(streams, options.drainTimeoutMs))) {
        notes.push(`a background process still held the output open ${options.drainTimeoutMs} ms after the command exited; logs end there`);
        streams.forEach((s) => s.destroy());
      }
      await Promise.all(logs.map((log) => closeLog(log)));
      options.interrupts.off(onSignal);
      resolve({ ...partial, pid: child.pid, endedAt, notes, ...(interruptedBy ? { interruptedBy } : {}) });
    };
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (child.pid !== undefined) return; // errors after spawn (e.g. kill) are not spawn failures
      void describeSpawnError(error, file!, options.cwd).then((spawnError) => finish({ exitCode: null, signal: null, spawnError }));
    });
    child.once("exit", (code, signal) => void finish({ exitCode: code, signal }));
  });
  return { pid: child.pid, result };
}

/** The exit code a shell would give: the child's code, 128+N after signal N, 127 not found, 126 not executable. */
export function exitCodeOf(result: ChildResult): number {
  if (result.spawnError) return result.spawnError.code === "ENOENT" ? 127 : 126;
  if (result.signal) return signalExitCode(result.signal);
  return result.exitCode ?? 0;
}

async function describeSpawnError(error: NodeJS.ErrnoException, file: string, cwd: string): Promise<ChildResult["spawnError"]> {
  const isDirectory = file.includes("/")
    ? await stat(resolve(cwd, file)).then(
        (s) => s.isDirectory(),
        () => false,
      )
    : false;
  return Object.assign(error, { isDirectory });
}

interface Log {
  stream: WriteStream;
  failed?: string;
}

function createLog(path: string, notes: string[]): Log {
  const log: Log = { stream: createWriteStream(path, { flags: "wx" }) };
  log.stream.on("error", (error: NodeJS.ErrnoException) => {
    if (log.failed) return;
    log.failed = `${error.code ?? "error"} at ${path}`;
    notes.push(`incomplete log: ${log.failed}; the command was left running`);
  });
  return log;
}

function closeLog(log: Log): Promise<void> {
  return new Promise((resolve) => {
    if (log.failed || log.stream.destroyed) return resolve();
    log.stream.end(() => resolve());
    log.stream.once("error", () => resolve());
  });
}

/** Resolves true when every stream has ended, false after `timeoutMs`. */
function drain(streams: Readable[], timeoutMs: number): Promise<boolean> {
  const ended = streams.map((s) =>
    s.readableEnded || s.destroyed ? Promise.resolve() : new Promise<void>((r) => s.once("close", () => r())),
  );
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void Promise.all(ended).then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
