import { describe, expect, it } from "vitest";
import { runProcess, streamProcess } from "./run-process.js";

const node = process.execPath;

describe("runProcess", () => {
  it("returns stdout as bytes, stderr as text and the exit code, with stdin given", async () => {
    const script = "process.stdin.pipe(process.stdout); process.stderr.write('warn'); process.stdin.on('end', () => process.exit(3))";
    const result = await runProcess(node, ["-e", script], { cwd: "/", input: Buffer.from("é\n") });
    expect(result).toMatchObject({ code: 3, signal: null, stderr: "warn", timedOut: false });
    expect(result.stdout.toString("utf8")).toBe("é\n");
  });

  it("adds env to the inherited environment", async () => {
    const result = await runProcess(node, ["-e", "process.stdout.write(process.env.MLX_X + ':' + typeof process.env.PATH)"], { cwd: "/", env: { MLX_X: "1" } });
    expect(result.stdout.toString()).toBe("1:string");
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

  it("streams stdout to the caller", async () => {
    const { stdout, done } = streamProcess(node, ["-e", "process.stdout.write('x'.repeat(100000))"], { cwd: "/" });
    let size = 0;
    stdout.on("data", (c: Buffer) => (size += c.length));
    expect((await done).code).toBe(0);
    expect(size).toBe(100000);
  });
});
