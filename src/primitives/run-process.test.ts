import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { describeFailure, type ProcessResult, runProcess, runProcessOrThrow, streamProcess } from "./run-process.js";

const node = process.execPath;

describe("runProcess", () => {
  it("returns stdout as bytes, stderr as text and the exit code, with stdin given", async () => {
    const script = "process.stdin.pipe(process.stdout); process.stderr.write('warn'); process.stdin.on('end', () => process.exit(3))";
    const result = await runProcess(node, ["-e", script], { cwd: "/", input: Buffer.from("é\n") });
    expect(result).toMatchObject({ code: 3, signal: null, stderr: "warn", timedOut: false, stdoutOverflow: false });
    expect(result.stdout.toString("utf8")).toBe("é\n");
  });

  it("adds env to the inherited environment and leaves undefined values out", async () => {
    const script = "process.stdout.write([process.env.MLX_X, typeof process.env.PATH, 'MLX_GONE' in process.env].join(':'))";
    const result = await runProcess(node, ["-e", script], { cwd: "/", env: { MLX_X: "1", MLX_GONE: undefined } });
    expect(result.stdout.toString()).toBe("1:string:false");
  });

  it("says a program could not start instead of throwing", async () => {
    const result = await runProcess("/nonexistent/program", [], { cwd: "/" });
    expect(result.code).toBeNull();
    expect(result.error?.code).toBe("ENOENT");
  });

  it("kills a program that runs past its time limit", async () => {
    const result = await runProcess(node, ["-e", "setTimeout(() => {}, 60000)"], { cwd: "/", timeoutMs: 200 });
    expect(result).toMatchObject({ timedOut: true, signal: "SIGKILL" });
  });

  it("kills a program that writes more stdout than allowed, and says so", async () => {
    const result = await runProcess(node, ["-e", "setInterval(() => process.stdout.write('x'.repeat(65536)), 1)"], {
      cwd: "/",
      maxBufferBytes: 100_000,
    });
    expect(result).toMatchObject({ stdoutOverflow: true, signal: "SIGKILL" });
    expect(result.stdout.length).toBeLessThanOrEqual(100_000);
  });

  it("keeps a multi-byte character of stderr whole when it arrives split across two writes", async () => {
    const script = "process.stderr.write(Buffer.from([0xc3])); setTimeout(() => process.stderr.write(Buffer.from([0xa9])), 50)";
    const result = await runProcess(node, ["-e", script], { cwd: "/" });
    expect(result.stderr).toBe("é");
  });

  it("writes stdout straight to an open file descriptor", async () => {
    const dir = await mkdtemp(join(tmpdir(), "mlx-run-process-"));
    try {
      const handle = await open(join(dir, "out"), "w");
      const result = await runProcess(node, ["-e", "process.stdout.write('to the file')"], { cwd: "/", stdout: handle.fd });
      await handle.close();
      expect(result.stdout.length).toBe(0);
      expect(await readFile(join(dir, "out"), "utf8")).toBe("to the file");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("runProcessOrThrow", () => {
  it("resolves with stdout when the program exits 0", async () => {
    const result = await runProcessOrThrow(node, ["-e", "process.stdout.write('ok')"], { cwd: "/" }, "node");
    expect(result.stdout.toString()).toBe("ok");
  });

  it.each([
    ["its stderr when it wrote some", ["-e", "process.stderr.write('bad thing\\n'); process.exit(2)"], "probe: bad thing"],
    ["the exit code when it wrote nothing", ["-e", "process.exit(4)"], "probe: exit 4"],
  ])("rejects with %s", async (_name, args, message) => {
    await expect(runProcessOrThrow(node, args, { cwd: "/" }, "probe")).rejects.toThrow(message);
  });

  it("rejects, naming the cause, when the program cannot start", async () => {
    await expect(runProcessOrThrow("/nonexistent/program", [], { cwd: "/" }, "probe")).rejects.toThrow("probe: could not start (ENOENT)");
  });
});

describe("describeFailure", () => {
  const base: ProcessResult = { code: 0, signal: null, stdout: Buffer.alloc(0), stderr: "", timedOut: false, stdoutOverflow: false };
  it.each<[string, Partial<ProcessResult>, string | null]>([
    ["success", {}, null],
    ["a non-zero exit", { code: 1 }, "exit 1"],
    ["a signal", { code: null, signal: "SIGTERM" }, "killed by SIGTERM"],
    ["a time-out (before its SIGKILL)", { code: null, signal: "SIGKILL", timedOut: true }, "timed out"],
    ["too much output (before its SIGKILL)", { code: null, signal: "SIGKILL", stdoutOverflow: true }, "too much output"],
    ["a failed start", { code: null, error: Object.assign(new Error("spawn x EACCES"), { code: "EACCES" }) }, "could not start (EACCES)"],
  ])("describes %s", (_name, result, expected) => {
    expect(describeFailure({ ...base, ...result })).toBe(expected);
  });
});

describe("streamProcess", () => {
  it("streams stdout to the caller", async () => {
    const { stdout, done } = streamProcess(node, ["-e", "process.stdout.write('x'.repeat(100000))"], { cwd: "/" });
    let size = 0;
    stdout.on("data", (c: Buffer) => (size += c.length));
    expect((await done).code).toBe(0);
    expect(size).toBe(100000);
  });
});
