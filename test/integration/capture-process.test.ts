import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { FIXTURES, MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";
import type { RunManifest } from "../../src/record/types.js";

const SDK = new URL("../../dist/sdk/index.js", import.meta.url).pathname;

async function onlyRun(cwd: string): Promise<{ folder: string; manifest: RunManifest }> {
  const runs = await readdir(join(cwd, ".mlx", "runs"));
  expect(runs).toHaveLength(1);
  const folder = join(cwd, ".mlx", "runs", runs[0]!);
  return { folder, manifest: parse(await readFile(join(folder, "manifest.yaml"), "utf8")) };
}

describe("mlx capture: exit codes", () => {
  it("returns the child's own code, even one that collides with mlx's (3), and says so in --json", async () => {
    await using dir = await tempDir();
    const r = await runMlx(["capture", "--json", "--", "sh", "-c", "echo out; exit 3"], { cwd: dir.path });
    expect(r.exitCode).toBe(3);
    const summary = JSON.parse(String(r.stdout));
    expect(summary).toMatchObject({ exitCode: 3, exitSource: "child", status: "failed", recordWritten: true });
    expect(String(r.stderr)).toContain("out"); // under --json the child's stdout goes to stderr
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.outcome).toMatchObject({ exitCode: 3, source: "child", signal: null });
  });

  it.each([
    ["SEGV", 139, "SIGSEGV"],
    ["KILL", 137, "SIGKILL"],
  ])("gives 128+N when the child dies of SIG%s", async (sig, code, name) => {
    await using dir = await tempDir();
    const r = await runMlx(["capture", "--", "sh", "-c", `kill -${sig} $$`], { cwd: dir.path });
    expect(r.exitCode).toBe(code);
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.outcome).toMatchObject({ exitCode: code, signal: name });
    expect(manifest.status).toBe("failed");
  });

  it("gives 127 for a command not found, names it, and still writes a valid record", async () => {
    await using dir = await tempDir();
    const r = await runMlx(["capture", "--", "no-such-cmd-xyz", "a"], { cwd: dir.path });
    expect(r.exitCode).toBe(127);
    expect(String(r.stderr)).toContain("command not found: no-such-cmd-xyz (searched PATH)");
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.status).toBe("not-found");
    expect(manifest.outcome).toMatchObject({ exitCode: 127, source: "mlx" });
    const show = await runMlx(["show", "--json"], { cwd: dir.path });
    expect(show.exitCode).toBe(0); // the record passes the schema
  });

  it("gives 126 for a file that is not executable, and for a directory", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "t.sh"), "#!/bin/sh\necho hi\n");
    await chmod(join(dir.path, "t.sh"), 0o644);
    await mkdir(join(dir.path, "src"));
    const notExec = await runMlx(["capture", "--", "./t.sh"], { cwd: dir.path });
    expect(notExec.exitCode).toBe(126);
    expect(String(notExec.stderr)).toMatch(/cannot execute \.\/t\.sh: EACCES .*chmod \+x \.\/t\.sh/);
    const isDir = await runMlx(["capture", "--", "./src"], { cwd: dir.path });
    expect(isDir.exitCode).toBe(126);
    expect(String(isDir.stderr)).toContain("./src: it is a directory (EISDIR)");
  });

  it.each([
    [["capture"], /no command to capture/],
    [["capture", "--bogus", "--", "true"], /unknown option '--bogus'/],
    [["capture", "--seed", "abc", "--", "true"], /--seed must be a whole number from 0 to 4294967295/],
    [["capture", "--seed", "-1", "--", "true"], /--seed/],
    [["capture", "--params", "{x", "--", "true"], /--params is not valid JSON/],
    [["capture", "--input", "missing.csv", "--", "true"], /--input missing\.csv: no such file/],
    [["capture", "--output", "../elsewhere", "--", "true"], /outside the repository root/],
    [["capture", "--config", "nope.yaml"], /--config nope\.yaml: no such file/],
  ])("refuses %j with exit 2 before anything starts", async (args, message) => {
    await using dir = await tempDir();
    const r = await runMlx(args, { cwd: dir.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
    expect(existsSync(join(dir.path, ".mlx"))).toBe(false);
  });
});

describe("mlx capture: concurrent runs", () => {
  it("gives 8 concurrent captures 8 distinct ids and 8 valid records", async () => {
    await using dir = await tempDir();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runMlx(["capture", "--json", "--", "node", "-e", `console.log('i=${i}')`], { cwd: dir.path })),
    );
    expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
    const ids = results.map((r) => JSON.parse(String(r.stdout)).id);
    expect(new Set(ids).size).toBe(8);
    const ls = JSON.parse(String((await runMlx(["ls", "--json"], { cwd: dir.path })).stdout));
    expect(ls.map((row: { status: string }) => row.status)).toEqual(Array(8).fill("succeeded"));
    expect(readdirSync(join(dir.path, ".mlx", "runs")).some((f) => f.endsWith(".tmp"))).toBe(false);
  });
});

describe("mlx capture: output and input", () => {
  it("logs 30 MB of output byte-exact, without a buffer limit", async () => {
    await using dir = await tempDir();
    const script = "const l='x'.repeat(60)+'\\n'; for (let i=0;i<5e5;i++) process.stdout.write(l)";
    const r = await runMlx(["capture", "--", "node", "-e", script], { cwd: dir.path, stdout: "ignore" });
    expect(r.exitCode).toBe(0);
    const { folder } = await onlyRun(dir.path);
    const log = readFileSync(join(folder, "logs", "stdout.log"));
    expect(log.length).toBe(61 * 5e5);
    const expected = createHash("sha256")
      .update(Buffer.from(("x".repeat(60) + "\n").repeat(5e5)))
      .digest("hex");
    expect(createHash("sha256").update(log).digest("hex")).toBe(expected);
  });

  it("keeps argv exact, with no shell anywhere", async () => {
    await using dir = await tempDir();
    const args = ["", "a b", "$(touch /tmp/pwn-mlx)", "é", "--x=1"];
    const r = await runMlx(["capture", "--", "node", join(FIXTURES, "bin", "argv.mjs"), ...args], { cwd: dir.path });
    expect(JSON.parse(String(r.stdout).split("\n")[0]!)).toEqual(args);
    expect(existsSync("/tmp/pwn-mlx")).toBe(false);
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.command.argv.slice(2)).toEqual(args);
  });

  it("passes piped stdin to the child", async () => {
    await using dir = await tempDir();
    const r = await runMlx(["capture", "--", "cat"], { cwd: dir.path, input: "a\nb\n" });
    expect(r.stdout).toBe("a\nb"); // execa strips the final newline
  });

  it("returns within seconds when a background grandchild keeps stdout open, and notes it", async () => {
    await using dir = await tempDir();
    const started = Date.now();
    const r = await runMlx(["capture", "--", "sh", "-c", "(sleep 30 &); echo done"], { cwd: dir.path, timeout: 20_000 });
    expect(r.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.outcome?.notes.join(" ")).toContain("background process still held the output open");
  });
});

describe("mlx capture: signals", () => {
  it("forwards SIGTERM once, waits for the child's clean-up, records interrupted, exits 143", async () => {
    await using dir = await tempDir();
    const marks = join(dir.path, "marks.txt");
    const child = spawn(MLX_BIN, ["capture", "--", "node", join(FIXTURES, "bin", "trap.mjs"), marks], { cwd: dir.path, stdio: "ignore" });
    await waitFor(() => existsSync(marks) && readFileSync(marks, "utf8").includes("ready"));
    child.kill("SIGTERM");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(143);
    expect(readFileSync(marks, "utf8")).toBe("ready\nSIGTERM\n");
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.status).toBe("interrupted");
    expect(manifest.outcome?.interruptedBy).toBe("SIGTERM");
  });

  it("leaves no process of the run's group behind after SIGINT", async () => {
    await using dir = await tempDir();
    const child = spawn(MLX_BIN, ["capture", "--", "sh", "-c", "sleep 300 & sleep 300 & echo started; wait"], {
      cwd: dir.path,
      stdio: ["ignore", "pipe", "ignore"],
    });
    await new Promise<void>((r) => child.stdout.once("data", () => r()));
    const { manifest: running } = await onlyRunWhenWritten(dir.path);
    const pgid = running.command.pid as number;
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code).toBe(130);
    await waitFor(() => !groupAlive(pgid));
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.status).toBe("interrupted");
  });
});

describe("mlx capture: at a terminal", () => {
  it("lets a terminal Ctrl-C reach the command once (no second copy), records interrupted, exits 130", async () => {
    await using dir = await tempDir();
    const marks = join(dir.path, "marks.txt");
    // `script` gives mlx a real terminal; setsid makes its process group ours to signal, as a Ctrl-C does.
    const cmd = `${MLX_BIN} capture -- node ${join(FIXTURES, "bin", "trap.mjs")} ${marks}`;
    const term = spawn("setsid", ["script", "-qefc", cmd, "/dev/null"], { cwd: dir.path, stdio: "ignore" });
    await waitFor(() => existsSync(marks) && readFileSync(marks, "utf8").includes("ready"));
    const { manifest: running } = await onlyRunWhenWritten(dir.path);
    const mlxGroup = Number(execFileSync("ps", ["-o", "pgid=", "-p", String(running.command.pid)], { encoding: "utf8" }).trim());
    process.kill(-mlxGroup, "SIGINT"); // what the terminal does on Ctrl-C: the whole foreground group
    const code = await new Promise<number | null>((r) => term.on("exit", (c) => r(c)));
    expect(readFileSync(marks, "utf8")).toBe("ready\nSIGINT\n");
    expect(code).toBe(130);
    const { manifest } = await onlyRun(dir.path);
    expect(manifest.status).toBe("interrupted");
    expect(manifest.outcome?.interruptedBy).toBe("SIGINT");
  });

  it("leaves a record when mlx itself is SIGKILLed; ls shows it abandoned once the command is gone", async () => {
    await using dir = await tempDir();
    const child = spawn(MLX_BIN, ["capture", "--", "sh", "-c", "echo started; sleep 1"], {
      cwd: dir.path,
      stdio: ["ignore", "pipe", "ignore"],
    });
    await new Promise<void>((r) => child.stdout.once("data", () => r()));
    await onlyRunWhenWritten(dir.path);
    child.kill("SIGKILL");
    await waitFor(async () => {
      const rows = JSON.parse(String((await runMlx(["ls", "--json"], { cwd: dir.path })).stdout));
      return rows[0]?.status === "abandoned";
    });
    const { manifest, folder } = await onlyRun(dir.path);
    expect(manifest.status).toBe("running");
    expect(readFileSync(join(folder, "logs", "stdout.log"), "utf8")).toBe("started\n");
  });
});

describe("mlx capture: seeds", () => {
  const random = join(FIXTURES, "bin", "random.mjs");
  const draws = async (cwd: string, args: string[]) =>
    JSON.parse(String((await runMlx(["capture", ...args, "--", "node", random], { cwd })).stdout).split("\n")[0]!);

  it("gives the same Math.random sequence for the same seed, another for another seed", async () => {
    await using dir = await tempDir();
    const a = await draws(dir.path, ["--seed", "42"]);
    const b = await draws(dir.path, ["--seed", "42"]);
    const c = await draws(dir.path, ["--seed", "43"]);
    expect(a.draws).toEqual(b.draws);
    expect(a.draws).not.toEqual(c.draws);
    expect([a.seed, a.hashSeed]).toEqual(["42", "42"]);
  });

  it("draws and records a seed when none is given, and seeds nothing with --no-seed-preload", async () => {
    await using dir = await tempDir();
    const drawn = await draws(dir.path, []);
    expect(Number(drawn.seed)).toBeGreaterThanOrEqual(0);
    const x = await draws(dir.path, ["--seed", "1", "--no-seed-preload"]);
    const y = await draws(dir.path, ["--seed", "1", "--no-seed-preload"]);
    expect(x.draws).not.toEqual(y.draws);
    const ls = JSON.parse(String((await runMlx(["ls", "--json"], { cwd: dir.path })).stdout));
    expect(ls).toHaveLength(3);
    const seeds = await Promise.all(
      ls.map(async (row: { id: string }) => JSON.parse(String((await runMlx(["show", row.id, "--json"], { cwd: dir.path })).stdout)).seed),
    );
    const nodeSeeded = [
      { runtime: "node", applied: true },
      { runtime: "python", applied: false },
    ];
    expect(seeds).toContainEqual({ value: Number(drawn.seed), source: "drawn", preload: true, preloads: nodeSeeded });
    expect(seeds.filter((s) => s.value === 1 && s.preload === false)).toHaveLength(2);
  });
});

describe("mlx capture: metrics and params", () => {
  it("collects SDK, stdout and file metrics into one series; the final value is the last", async () => {
    await using dir = await tempDir();
    const r = await runMlx(
      ["capture", "--param", "value=5", "--metrics-file", "out-metrics.json", "--", "node", join(FIXTURES, "bin", "sdk-metrics.mjs")],
      { cwd: dir.path, env: { MLX_SDK: SDK } },
    );
    expect(r.exitCode).toBe(0);
    const { folder, manifest } = await onlyRun(dir.path);
    expect(manifest.params).toEqual({ value: 5 });
    expect(manifest.metrics?.final).toEqual({
      acc: 0.75,
      "final.f1": 0.75,
      loss: 1 / 3,
      seed: manifest.seed.value,
      stdout_metric: 5,
      val_loss: 0.125,
      weird: "NaN",
    });
    const series = readFileSync(join(folder, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(series.filter((p) => p.name === "loss").map((p) => [p.step, p.source])).toEqual([
      [1, "sdk"],
      [2, "sdk"],
      [3, "sdk"],
    ]);
    expect(series.find((p) => p.name === "val_loss")).toMatchObject({ step: 7, source: "stdout" });
    expect(manifest.warnings.join("\n")).toMatch(/sdk-metrics\.jsonl line 8: not a metric/);
  });

  it("reads a run config, with the command line winning, and names the bad field of a bad one", async () => {
    await using dir = await tempDir();
    await writeFile(
      join(dir.path, "run.yaml"),
      `name: cfg\nrun: node ${join(FIXTURES, "bin", "random.mjs")}\nseed: 9\nparams: {lr: 0.1}\n`,
    );
    const ok = await runMlx(["capture", "--config", "run.yaml", "--param", "lr=0.2"], { cwd: dir.path });
    expect(ok.exitCode).toBe(0);
    const { manifest } = await onlyRun(dir.path);
    expect([manifest.name, manifest.params, manifest.seed.value]).toEqual(["cfg", { lr: 0.2 }, 9]);
    await writeFile(join(dir.path, "bad.yaml"), "run: true\nnum_trail: 5\n");
    const bad = await runMlx(["capture", "--config", "bad.yaml"], { cwd: dir.path });
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/bad\.yaml is invalid: .*additional properties 'num_trail'/);
  });
});

describe("mlx capture: secrets never reach disk", () => {
  it("keeps secret environment values and argv out of the record", async () => {
    await using dir = await tempDir();
    const env = {
      AWS_SECRET_ACCESS_KEY: "AKIAFAKEFAKE",
      WANDB_API_KEY: "wk_FAKEFAKE",
      HF_TOKEN: "hf_FAKEFAKE",
      DATABASE_URL: "postgres://u:p4ssword@h/db",
      HTTPS_PROXY: "http://u:p4ssword@px:3128",
      NODE_ENV: "test",
    };
    const r = await runMlx(
      // The child still gets the real values; it does not print them (logs keep whatever it prints).
      [
        "capture",
        "--env",
        "HF_TOKEN",
        "--env",
        "DATABASE_URL",
        "--",
        "sh",
        "-c",
        'test "$2" = sk-FAKEFAKE',
        "sh",
        "--api-key",
        "sk-FAKEFAKE",
        "--wandb-key=wk_FAKEFAKE",
      ],
      { cwd: dir.path, env },
    );
    expect(r.exitCode).toBe(0);
    const { folder, manifest } = await onlyRun(dir.path);
    // The script itself names the token too: it is redacted as a secret-looking value.
    expect(manifest.command.argv).toEqual(["sh", "-c", "***", "sh", "--api-key", "***", "--wandb-key=***"]);
    expect(manifest.command.redactedArgs).toEqual([2, 5, 6]);
    expect(manifest.env.vars.NODE_ENV).toBe("test");
    expect(manifest.env.refused).toEqual(["DATABASE_URL", "HF_TOKEN"]);
    const everything = (await readAll(folder)).join("\n");
    expect(everything).not.toMatch(/FAKE|p4ssword/);
  });
});

async function readAll(folder: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(await readFile(join(entry.parentPath, entry.name), "utf8"));
  }
  return out;
}

async function onlyRunWhenWritten(cwd: string) {
  await waitFor(async () => {
    try {
      const runs = await readdir(join(cwd, ".mlx", "runs"));
      return runs.length === 1 && existsSync(join(cwd, ".mlx", "runs", runs[0]!, "manifest.yaml"));
    } catch {
      return false;
    }
  });
  return onlyRun(cwd);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
