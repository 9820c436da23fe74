import { EventEmitter } from "node:events";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type InterruptSource, type RunnerOptions, startChild } from "./runner.js";

/** An interrupt source a test drives by hand, that counts its handlers. */
function manualInterrupts(): InterruptSource & { send(signal: NodeJS.Signals): void; listening(): number } {
  const events = new EventEmitter();
  return {
    on: (handler) => void events.on("signal", handler),
    off: (handler) => void events.off("signal", handler),
    send: (signal) => void events.emit("signal", signal),
    listening: () => events.listenerCount("signal"),
  };
}

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "mlx-runner-"))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

function options(argv: string[], interrupts: InterruptSource): RunnerOptions {
  return {
    argv,
    shell: false,
    cwd: dir,
    env: process.env,
    stdoutLog: join(dir, "stdout.log"),
    stderrLog: join(dir, "stderr.log"),
    echoStdout: new PassThrough().resume(),
    echoStderr: new PassThrough().resume(),
    onStdout: () => undefined,
    interrupts,
    drainTimeoutMs: 2000,
    killGraceMs: 5000,
    ownGroup: true,
  };
}

// Prints "ready" once its SIGTERM handler is set, then says which signal reached it and exits 0.
const TRAPS_TERM =
  "process.on('SIGTERM', (s) => { console.log('got ' + s); process.exit(0); }); console.log('ready'); setInterval(() => {}, 1000);";

describe("startChild", () => {
  it("forwards an interrupt from its source to the command and records which one stopped it", async () => {
    const interrupts = manualInterrupts();
    let out = "";
    let sent = false; // one interrupt only: a second one would kill it
    const child = startChild({
      ...options([process.execPath, "-e", TRAPS_TERM], interrupts),
      onStdout: (c) => {
        out += Buffer.from(c).toString();
        if (sent || !out.includes("ready")) return;
        sent = true;
        interrupts.send("SIGTERM");
      },
    });
    const result = await child.result;
    expect(result).toMatchObject({ exitCode: 0, signal: null, interruptedBy: "SIGTERM" });
    expect(await readFile(join(dir, "stdout.log"), "utf8")).toBe("ready\ngot SIGTERM\n");
    expect(interrupts.listening()).toBe(0); // it lets go of the source once the command has ended
  });

  it("kills the command at once on a second interrupt", async () => {
    const interrupts = manualInterrupts();
    const ignores = "process.on('SIGINT', () => {}); console.log('ready'); setInterval(() => {}, 1000);";
    let sent = false;
    const child = startChild({
      ...options([process.execPath, "-e", ignores], interrupts),
      onStdout: () => {
        if (sent) return;
        sent = true;
        interrupts.send("SIGINT");
        setTimeout(() => interrupts.send("SIGINT"), 100);
      },
    });
    const result = await child.result;
    expect(result).toMatchObject({ exitCode: null, signal: "SIGKILL", interruptedBy: "SIGINT" });
  });

  it("runs to its end untouched when nothing interrupts it", async () => {
    const interrupts = manualInterrupts();
    const result = await startChild(options([process.execPath, "-e", "process.exit(5)"], interrupts)).result;
    expect(result).toMatchObject({ exitCode: 5, signal: null });
    expect(result.interruptedBy).toBeUndefined();
    expect(interrupts.listening()).toBe(0);
  });
});
