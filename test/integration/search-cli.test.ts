// After a search, `latest` names the search; `--best` spells out replay's default. Real captures in a real repository.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeRepo } from "../helpers/git-repo.js";
import { runMlx } from "../helpers/mlx.js";

const TRIAL = new URL("../fixtures/bin/trial.mjs", import.meta.url).pathname;

describe("the CLI right after a search", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  let groupId: string;

  beforeAll(async () => {
    repo = await makeRepo({ "trial.mjs": readFileSync(TRIAL, "utf8") });
    writeFileSync(
      join(repo.path, "s.yaml"),
      ["kind: group", "num_trials: 2", "sampler: random", "seed: 1", "concurrency: 1", "param_space:", "  x: uniform(-1, 1)"]
        .concat(["metric:", "  name: score", "  direction: maximize", "run: node trial.mjs", ""])
        .join("\n"),
    );
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    groupId = JSON.parse(String(r.stdout)).id;
  }, 120_000);
  afterAll(async () => repo && (await repo[Symbol.asyncDispose]()));

  it("shows the group for `mlx show latest` (and for `mlx show` alone), not its last trial", async () => {
    for (const args of [
      ["show", "latest", "--json"],
      ["show", "--json"],
    ]) {
      const r = await runMlx(args, { cwd: repo.path });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      const shown = JSON.parse(String(r.stdout));
      expect([shown.kind, shown.id]).toEqual(["Group", groupId]);
    }
    const text = await runMlx(["show"], { cwd: repo.path });
    expect(String(text.stdout)).toContain(`Group ${groupId}`);
  });

  it("accepts --best, and refuses it beside --all or --trial before reading the bundle", async () => {
    const best = await runMlx(["replay", "--best", "missing.tar"], { cwd: repo.path });
    expect(best.exitCode).toBe(2);
    expect(String(best.stderr)).toMatch(/missing\.tar: no such file/); // the option was taken: the bundle is what failed
    for (const [flags, named] of [
      [["--best", "--all"], "--all"],
      [["--trial", "1", "--best"], "--trial"],
    ] as const) {
      const r = await runMlx(["replay", ...flags, "missing.tar"], { cwd: repo.path });
      expect(r.exitCode).toBe(2);
      expect(String(r.stderr)).toContain(`--best and ${named} exclude each other`);
    }
  });

  it("a plain run captured after the search is `latest` again, and --quiet leaves one mlx line", async () => {
    const plain = await runMlx(["capture", "--quiet", "--", "node", "-e", "console.log('loss=0.5')"], { cwd: repo.path });
    expect(plain.exitCode, String(plain.stderr)).toBe(0);
    const line = /^mlx: run (\S+) succeeded$/.exec(String(plain.stderr).trim());
    expect(String(plain.stderr).trim().split("\n"), String(plain.stderr)).toHaveLength(1);
    const r = await runMlx(["show", "latest", "--json"], { cwd: repo.path });
    const shown = JSON.parse(String(r.stdout));
    expect([shown.kind, shown.id]).toEqual(["Run", line?.[1]]);
  }, 60_000);
});
