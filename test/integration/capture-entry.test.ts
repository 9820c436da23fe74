import { cp, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { FIXTURES, MLX_BIN, runMlx, tempDir } from "../helpers/mlx.js";

const SPLIT_BUILD = new URL("../../dist/cli/mlx.mjs", import.meta.url).pathname;

/** The same command line through the split build's main(), which every verb but capture goes through. */
function runSplitBuild(args: readonly string[], cwd: string) {
  const script = `import(${JSON.stringify(SPLIT_BUILD)}).then(async (m) => { process.exitCode = await m.main(${JSON.stringify(args)}); });`;
  return execa("node", ["--input-type=module", "-e", script], { cwd, reject: false, stdin: "ignore" });
}

describe("mlx capture: its own bundle", () => {
  it("loads one file of dist/cli/ (not the chunks the other verbs share) and still writes its record", async () => {
    await using dir = await tempDir();
    const loads = join(dir.path, "loads.txt");
    const r = await execa("node", ["--import", join(FIXTURES, "trace-loads.mjs"), MLX_BIN, "capture", "-q", "--", "node", "-e", "0"], {
      cwd: dir.path,
      env: { MLX_TRACE_LOADS: loads },
      reject: false,
      stdin: "ignore",
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/^mlx: run \S+ succeeded$/m);
    expect((await readFile(loads, "utf8")).trim().split("\n")).toEqual(["mlx-capture.cjs"]);
  });

  it.each([[["capture", "--help"]], [["capture", "--bogus", "--", "true"]], [["capture", "--seed", "x", "--", "true"]], [["capture"]]])(
    "%j prints and exits exactly as the split build's main() does",
    async (args) => {
      await using dir = await tempDir();
      const [own, split] = await Promise.all([runMlx(args, { cwd: dir.path }), runSplitBuild(args, dir.path)]);
      expect({ code: own.exitCode, stdout: own.stdout, stderr: own.stderr }).toEqual({
        code: split.exitCode,
        stdout: split.stdout,
        stderr: split.stderr,
      });
    },
  );

  it.each([[["capture", "--", "true"]], [["ls"]]])("%j without a build says how to build, exit 70", async (args) => {
    await using dir = await tempDir();
    await mkdir(join(dir.path, "bin"));
    await cp(MLX_BIN, join(dir.path, "bin", "mlx"));
    await cp(new URL("../../package.json", import.meta.url), join(dir.path, "package.json"));
    const r = await execa(join(dir.path, "bin", "mlx"), args, { cwd: dir.path, reject: false, stdin: "ignore" });
    expect(r.exitCode).toBe(70);
    expect(String(r.stderr)).toMatch(/^mlx: cannot start \(.*\)\. Build it first: npm run build$/m);
  });
});
