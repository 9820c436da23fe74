// `mlx ls` filters, columns and exports against real captures in a real repository.
import { execFileSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { captureIn } from "../helpers/capture-in.js";
import { makeRepo } from "../helpers/git-repo.js";
import { runMlx } from "../helpers/mlx.js";

// Prints four metrics; the search's own one (zscore) sorts last, so a three-metric column would cut it off.
const TRAIN = `const p = JSON.parse(process.env.MLX_PARAMS || "{}");
const x = Number(p.x ?? 0);
console.log("alpha=1\\nbeta=2\\ngamma=3");
console.log("accuracy=" + (0.5 + x / 10));
console.log("zscore=" + (-x));
`;

const SEARCH = `name: s
kind: group
num_trials: 2
sampler: grid
seed: 1
param_space:
  x: choice([1, 2])
metric:
  name: zscore
  direction: maximize
run: node train.mjs
`;

interface LsRow {
  id: string;
  name: string | null;
  tags: string[];
  params: Record<string, unknown>;
  metrics: Record<string, number>;
}

describe("mlx ls: filters, columns, export", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;
  const ids: Record<string, string> = {};
  const ls = async (...args: string[]) => runMlx(["ls", ...args], { cwd: repo.path });
  const listed = async (...args: string[]): Promise<string[]> => {
    const r = await ls("--json", ...args);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const parsed = JSON.parse(String(r.stdout)) as LsRow[] | { runs: LsRow[] };
    return (Array.isArray(parsed) ? parsed : parsed.runs).map((row) => row.id);
  };

  beforeAll(async () => {
    repo = await makeRepo({ "train.mjs": TRAIN, "search.yaml": SEARCH, ".gitignore": ".mlx/\n" });
    for (const [key, x, tags, name] of [
      ["low", "1", ["baseline"], "resnet-small"],
      ["high", "4", ["baseline", "best"], "resnet-large"],
      ["odd", "2", [], 'mlp, "wide"'],
    ] as const) {
      const r = await captureIn(repo.path, ["node", "train.mjs"], { param: [`x=${x}`, "opt.lr=0.1"], tag: [...tags], name });
      ids[key] = r.manifest.id;
    }
    return () => repo[Symbol.asyncDispose]();
  });

  it.each<[string, string[], string[]]>([
    ["--tag, all of them", ["--tag", "baseline", "--tag", "best"], ["high"]],
    ["--name glob", ["--name", "resnet-*"], ["high", "low"]],
    ["--name substring", ["--name", "wide"], ["odd"]],
    ["--param", ["--param", "x=2"], ["odd"]],
    ["--param nested", ["--param", "opt.lr=0.1", "--param", "x=1"], ["low"]],
    ["--where (newest first)", ["--where", "accuracy>0.6"], ["odd", "high"]],
    ["--where twice", ["--where", "accuracy>0.6", "--where", "accuracy!=0.9"], ["odd"]],
    ["--sort metric --desc --limit", ["--name", "r", "--sort", "accuracy", "--desc", "--limit", "1"], ["high"]],
    ["--sort metric ascending", ["--param", "opt.lr=0.1", "--sort", "accuracy"], ["low", "odd", "high"]],
    ["--status", ["--status", "failed"], []],
  ])("filters by %s", async (_what, args, expected) => {
    expect(await listed(...args)).toEqual(expected.map((k) => ids[k]));
  });

  it("shows tags by default and the columns asked for", async () => {
    const table = String((await ls("--name", "resnet-large")).stdout);
    expect(table.split("\n")[0]).toMatch(/TAGS/);
    expect(table).toContain("baseline,best");
    const chosen = String((await ls("--name", "resnet-large", "--columns", "id,accuracy,param.x,tags")).stdout);
    expect(chosen.split("\n")[0]).toMatch(/^ID\s+ACCURACY\s+PARAM\.X\s+TAGS$/);
    expect(chosen).toMatch(new RegExp(`${ids["high"]}\\s+0\\.9\\s+4\\s+baseline,best`));
  });

  it("exports CSV with every param and final metric as a column, that Python's csv module reads back", async () => {
    const r = await ls("--csv", "--param", "opt.lr=0.1");
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const json = execFileSync("python3", ["-c", "import csv, json, sys; print(json.dumps(list(csv.DictReader(sys.stdin))))"], {
      input: String(r.stdout),
      encoding: "utf8",
    });
    const rows = JSON.parse(json) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual([
      "id",
      "name",
      "created",
      "status",
      "exit",
      "duration",
      "tags",
      "group",
      "trial",
      "param.opt.lr",
      "param.x",
      "accuracy",
      "alpha",
      "beta",
      "gamma",
      "zscore",
    ]);
    const odd = rows.find((row) => row["id"] === ids["odd"])!;
    expect(odd).toMatchObject({
      name: 'mlp, "wide"',
      status: "succeeded",
      "param.x": "2",
      "param.opt.lr": "0.1",
      accuracy: "0.7",
      zscore: "-2",
    });
    expect(rows.find((row) => row["id"] === ids["high"])!["tags"]).toBe("baseline;best");
  });

  it("refuses a bad --where, a bad --columns and --json with --csv with exit 2, saying what to write", async () => {
    const bad = await ls("--where", "accuracy=>0.9");
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/--where 'accuracy=>0\.9' is not a metric condition[\s\S]*>= <= > < == !=/);
    expect((await ls("--columns", ",")).exitCode).toBe(2);
    expect((await ls("--json", "--csv")).exitCode).toBe(2);
  });

  it("shows a trial's own search metric first, which three metrics in name order would cut off; --group lists its trials", async () => {
    const search = await runMlx(["capture", "--config", "search.yaml", "--json"], { cwd: repo.path });
    expect(search.exitCode, String(search.stderr)).toBe(0);
    const group = JSON.parse(String(search.stdout)) as { id: string; trials: Array<{ runId: string }> };
    const table = String((await ls("--group", group.id)).stdout);
    const lines = table.split("\n\n")[0]!.trim().split("\n").slice(1); // the runs table, before the group's
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).toMatch(/ zscore=-\d accuracy=\S+ alpha=1$/);
    expect((await listed("--group", group.id)).sort()).toEqual(group.trials.map((t) => t.runId).sort());
  });
});
