// `mlx tag`, `mlx rm` and id prefixes against real captures and a real search in a real repository.
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { captureIn } from "../helpers/capture-in.js";
import { makeRepo } from "../helpers/git-repo.js";
import { execa } from "execa";
import { MLX_BIN, runMlx } from "../helpers/mlx.js";

const SEARCH = `name: s
kind: group
num_trials: 2
sampler: grid
seed: 1
param_space:
  x: choice([1, 2])
metric:
  name: score
  direction: maximize
run: node train.mjs
`;

interface Group {
  id: string;
  trials: Array<{ index: number; runId: string }>;
}

describe("mlx tag, mlx rm, and id prefixes", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  const mlx = (...args: string[]) => runMlx(args, { cwd: repo.path });
  const runFolder = (id: string) => join(repo.path, ".mlx", "runs", id);
  const search = async (): Promise<Group> => {
    const r = await mlx("capture", "--config", "search.yaml", "--json");
    expect(r.exitCode, String(r.stderr)).toBe(0);
    return JSON.parse(String(r.stdout)) as Group;
  };

  beforeAll(async () => {
    repo = await makeRepo({ "train.mjs": 'console.log("score=" + JSON.parse(process.env.MLX_PARAMS).x)\n', "search.yaml": SEARCH });
    return () => repo[Symbol.asyncDispose]();
  });

  it("adds and removes tags by rewriting the record, which stays valid; a bad edit is exit 2 and changes nothing", async () => {
    const { manifest } = await captureIn(repo.path, ["node", "-e", "1"], { tag: ["draft"] });
    const ok = await mlx("tag", manifest.id, "+baseline", "-draft", "+v2");
    expect(ok.exitCode, String(ok.stderr)).toBe(0);
    const shown = await mlx("show", manifest.id, "--json");
    expect(JSON.parse(String(shown.stdout)).tags).toEqual(["baseline", "v2"]);
    const before = readFileSync(join(runFolder(manifest.id), "manifest.yaml"));
    const bad = await mlx("tag", manifest.id, "+ok", "oops");
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/'oops' is not a tag edit[\s\S]*\+name/);
    expect(readFileSync(join(runFolder(manifest.id), "manifest.yaml"))).toEqual(before);
    expect(readdirSync(runFolder(manifest.id)).filter((f) => f.includes(".tmp"))).toEqual([]);
  });

  it("lists every run and group an ambiguous prefix matches, for every verb, rather than picking a group", async () => {
    const group = await search();
    const prefix = group.id.slice(0, 4); // a year: every run and the group share it
    for (const verb of [["show"], ["pack", "--no-image"], ["diff", group.trials[0]!.runId], ["tag", "+x"], ["rm", "--yes"]]) {
      const args = verb[0] === "tag" ? ["tag", prefix, "+x"] : [...verb.slice(0, 1), prefix, ...verb.slice(1)];
      const r = await mlx(...args);
      expect(r.exitCode, `${args.join(" ")}: ${String(r.stderr)}`).toBe(2);
      expect(String(r.stderr)).toContain(`'${prefix}' is ambiguous`);
      if (verb[0] !== "tag") expect(String(r.stderr)).toContain(`group ${group.id}`);
      expect(String(r.stderr)).toContain(`run ${group.trials[0]!.runId}`);
    }
    expect((await mlx("show", group.id)).exitCode).toBe(0); // an exact id is never ambiguous
    const blank = await mlx("rm", "--yes", ""); // an unset shell variable matches nothing, not everything
    expect(blank.exitCode).toBe(2);
    expect(String(blank.stderr)).toContain("an empty run or group id");
    expect((await mlx("show", group.id)).exitCode).toBe(0);
    expect(existsSync(join(repo.path, ".mlx", "groups", group.id))).toBe(true);
  });

  it("refuses to delete without --yes when stdin is not a terminal, and a trial without its group", async () => {
    const { manifest } = await captureIn(repo.path, ["node", "-e", "1"]);
    const asked = await mlx("rm", manifest.id);
    expect(asked.exitCode).toBe(2);
    expect(String(asked.stderr)).toMatch(/--yes/);
    expect(existsSync(runFolder(manifest.id))).toBe(true);

    const group = await search();
    const trial = group.trials[1]!;
    const lone = await mlx("rm", "--yes", trial.runId);
    expect(lone.exitCode).toBe(2);
    expect(String(lone.stderr)).toContain(`trial ${trial.index} of search group ${group.id}`);
    expect(String(lone.stderr)).toContain(`mlx rm ${group.id}`);
    expect(existsSync(runFolder(trial.runId))).toBe(true);

    const gone = await mlx("rm", "--yes", manifest.id);
    expect(gone.exitCode, String(gone.stderr)).toBe(0);
    expect(existsSync(runFolder(manifest.id))).toBe(false);
  });

  it("at a terminal, lists what it will delete, asks, and deletes only on yes", async () => {
    const { manifest } = await captureIn(repo.path, ["node", "-e", "1"]);
    // util-linux's script(1) gives mlx a terminal, as a user at a shell has.
    const answer = (text: string) =>
      execa("script", ["-qc", `${MLX_BIN} rm ${manifest.id}`, "/dev/null"], { cwd: repo.path, input: `${text}\n`, reject: false });
    const no = await answer("n");
    expect(String(no.stdout)).toContain(`run ${manifest.id}`);
    expect(String(no.stdout)).toContain("nothing deleted");
    expect(existsSync(runFolder(manifest.id))).toBe(true);
    const yes = await answer("y");
    expect(String(yes.stdout)).toContain(`removed run ${manifest.id}`);
    expect(existsSync(runFolder(manifest.id))).toBe(false);
  });

  it("names a trial deleted by hand when packing its group (exit 2), and removes the group with its other trials", async () => {
    const group = await search();
    rmSync(runFolder(group.trials[0]!.runId), { recursive: true });
    const packed = await mlx("pack", group.id, "--no-image");
    expect(packed.exitCode).toBe(2);
    expect(String(packed.stderr)).toContain(`trial 0 (run ${group.trials[0]!.runId}) is missing`);
    expect(String(packed.stderr)).not.toMatch(/ENOENT/);

    const removed = await mlx("rm", "--yes", group.id);
    expect(removed.exitCode, String(removed.stderr)).toBe(0);
    expect(String(removed.stdout)).toContain(`removed group ${group.id}`);
    expect(existsSync(join(repo.path, ".mlx", "groups", group.id))).toBe(false);
    expect(existsSync(runFolder(group.trials[1]!.runId))).toBe(false);
    expect(existsSync(join(repo.path, ".mlx", ".trash"))).toBe(false);
  });

  it("refuses to remove a run that is still being captured, and removes it once it ended", async () => {
    const before = new Set(readdirSync(join(repo.path, ".mlx", "runs")));
    const running = runMlx(["capture", "--", "node", "-e", "setTimeout(() => {}, 4000)"], { cwd: repo.path });
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      await new Promise((r) => setTimeout(r, 100));
      id = readdirSync(join(repo.path, ".mlx", "runs")).find((d) => !before.has(d) && existsSync(join(runFolder(d), "manifest.yaml")));
    }
    expect(id).toBeDefined();
    const refused = await mlx("rm", "--yes", id!);
    expect(refused.exitCode).toBe(2);
    expect(String(refused.stderr)).toContain("is still running");
    expect(existsSync(runFolder(id!))).toBe(true);
    expect((await running).exitCode).toBe(0);
    expect((await mlx("rm", "--yes", id!)).exitCode).toBe(0);
    expect(existsSync(runFolder(id!))).toBe(false);
  }, 30_000);
});
