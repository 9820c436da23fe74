// What pack and replay say while they work, outside a terminal and with FORCE_COLOR, and the
// verdict of `replay --all` counted in trials. One small search, a real Docker engine.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx } from "../helpers/mlx.js";

const ready = dockerReady();
const TRIAL = new URL("../fixtures/bin/trial.mjs", import.meta.url).pathname;
// Colour is decided by these alone here (stderr is a pipe): the test runner's own settings must not leak in.
const PLAIN_ENV = { NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: "xterm" };
// eslint-disable-next-line no-control-regex -- what must not reach a log
const ESCAPE = /\x1b/;
const DONE_LINE = (verb: string): RegExp => new RegExp(`^${verb}: \\d+(\\.\\d)? (B|KiB|MiB|GiB) in \\d+(\\.\\d)? (ms|s)$`, "m");

describe.skipIf(!ready)("feedback of pack and replay, with a real Docker engine", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  let groupId: string;
  let packStderr: string;

  beforeAll(async () => {
    repo = await makeExampleRepo({ "trial.mjs": readFileSync(TRIAL, "utf8") });
    writeFileSync(
      join(repo.path, "s.yaml"),
      ["kind: group", "num_trials: 3", "sampler: random", "seed: 5", "concurrency: 1", "param_space:", "  x: uniform(-1, 1)"]
        .concat(["metric:", "  name: score", "  direction: maximize", "run: node trial.mjs", ""])
        .join("\n"),
    );
    const r = await runMlx(["capture", "--config", "s.yaml", "--json"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    groupId = JSON.parse(String(r.stdout)).id;
    // No id: right after a search, the latest record is the search.
    const packed = await runMlx(["pack"], { cwd: repo.path, env: PLAIN_ENV });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
    packStderr = String(packed.stderr);
  }, 300_000);
  afterAll(async () => repo && (await repo[Symbol.asyncDispose]()));

  it("packs the group, not its last trial, when given no id after a search", () => {
    const names = execFileSync("tar", ["-tf", join(repo.path, "bundle.tar")], { encoding: "utf8" }).split("\n");
    expect(names).toContain(`records/groups/${groupId}/group.yaml`);
    expect(names.filter((n) => /^records\/runs\/[^/]+\/manifest\.yaml$/.test(n))).toHaveLength(3);
  });

  it("pack outside a terminal: one line per finished step with its size and time, no stream of updates, no escape codes", () => {
    expect(packStderr).toMatch(DONE_LINE("saved image"));
    expect(packStderr).toMatch(DONE_LINE("wrote bundle"));
    expect(packStderr).toMatch(/^built image: \d+ steps in /m);
    expect(packStderr).not.toMatch(/saving image|writing bundle|\/s\)/);
    expect(packStderr.match(/^saved image/gm)).toHaveLength(1);
    expect(packStderr).not.toMatch(ESCAPE);
  });

  it("replay --all outside a terminal: verify and load each leave one line; the verdict counts trials", async () => {
    // The engine still has the image pack built: without it, replay loads image.tar.
    const manifest = execFileSync("tar", ["-xOf", join(repo.path, "bundle.tar"), "bundle.yaml"], { encoding: "utf8" });
    docker("rmi", "-f", (parse(manifest) as { image: { id: string } }).image.id);
    const r = await runMlx(["replay", "bundle.tar", "--all", "--out", "all"], { cwd: repo.path, env: PLAIN_ENV });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const stderr = String(r.stderr);
    expect(stderr).toMatch(DONE_LINE("verified bundle"));
    expect(stderr).toMatch(DONE_LINE("loaded image"));
    expect(stderr.match(/^verified bundle/gm)).toHaveLength(1);
    expect(stderr + String(r.stdout)).not.toMatch(ESCAPE);
    expect(String(r.stdout)).toContain(
      "REPRODUCED: 3 of 3 trials reproduced, each with every compared metric, its exit code and every output as recorded.",
    );
  }, 300_000);

  it("FORCE_COLOR=1 colours the step lines and the verdict even into a pipe; --best is the default spelled out", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--best", "--out", "best"], {
      cwd: repo.path,
      env: { ...PLAIN_ENV, FORCE_COLOR: "1" },
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    // eslint-disable-next-line no-control-regex -- the escape codes are what is tested
    expect(String(r.stderr)).toMatch(/\x1b\[32mverified bundle: /);
    // eslint-disable-next-line no-control-regex -- the escape codes are what is tested
    expect(String(r.stdout)).toMatch(/\x1b\[32mREPRODUCED: every compared metric/);
  }, 300_000);

  it("--quiet leaves only the result: no step lines, no progress", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--quiet", "--out", "quiet"], { cwd: repo.path, env: PLAIN_ENV });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).not.toMatch(/verif|load|running/);
    expect(String(r.stdout)).toContain("REPRODUCED");
  }, 300_000);
});
