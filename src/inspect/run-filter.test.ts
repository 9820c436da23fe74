import { describe, expect, it } from "vitest";
import { exportColumns, columnText, parseColumns } from "./run-columns.js";
import { filterRuns, nameMatcher, normalizeRunFilter, type RawRunFilter, sameParam } from "./run-filter.js";
import type { RunRow } from "./run-row.js";
import { flattenParams, shownMetrics } from "./run-row.js";

function row(id: string, over: Partial<RunRow> = {}): RunRow {
  return {
    id,
    name: null,
    createdAt: `2026-11-27T0${id}:00:00.000Z`,
    status: "succeeded",
    exitCode: 0,
    durationMs: 10,
    tags: [],
    params: {},
    metrics: {},
    group: null,
    ...over,
  };
}

const raw = (over: Partial<RawRunFilter> = {}): RawRunFilter => ({
  tag: [],
  status: [],
  param: [],
  where: [],
  desc: false,
  limit: "50",
  ...over,
});
const ids = (rows: RunRow[]) => rows.map((r) => r.id);

// Newest first, as the run store lists them.
const ROWS = [
  row("4", { name: "resnet-b", tags: ["best"], params: { lr: 0.01 }, metrics: { accuracy: 0.95 } }),
  row("3", { name: "resnet-a", status: "failed", params: { lr: 0.1 }, metrics: { accuracy: 0.5 } }),
  row("2", {
    name: "mlp",
    tags: ["best", "old"],
    params: { lr: "0.1" },
    metrics: { accuracy: 0.9 },
    group: { id: "g1", trial: 0, objective: "loss" },
  }),
  row("1", { name: null, params: flattenParams({ optim: { lr: 0.1 } }) }),
];

describe("filterRuns", () => {
  it.each<[string, Partial<RawRunFilter>, string | null, string[]]>([
    ["no filter: newest first", {}, null, ["4", "3", "2", "1"]],
    ["--tag (all given)", { tag: ["best", "old"] }, null, ["2"]],
    ["--status", { status: ["failed"] }, null, ["3"]],
    ["--status a,b", { status: ["failed,succeeded"] }, null, ["4", "3", "2", "1"]],
    ["--name substring", { name: "resnet" }, null, ["4", "3"]],
    ["--name glob", { name: "*-a" }, null, ["3"]],
    ["--group", {}, "g1", ["2"]],
    ["--param number", { param: ["lr=0.1"] }, null, ["3", "2"]],
    ["--param number written otherwise", { param: ["lr=1e-2"] }, null, ["4"]],
    ["--param nested", { param: ["optim.lr=0.1"] }, null, ["1"]],
    ["--where", { where: ["accuracy>=0.9"] }, null, ["4", "2"]],
    ["--where twice", { where: ["accuracy>=0.9", "accuracy<0.95"] }, null, ["2"]],
    ["--sort metric ascending, missing last", { sort: "accuracy" }, null, ["3", "2", "4", "1"]],
    ["--sort metric --desc, missing last", { sort: "accuracy", desc: true }, null, ["4", "2", "3", "1"]],
    ["--sort created", { sort: "created" }, null, ["1", "2", "3", "4"]],
    ["--sort name", { sort: "name" }, null, ["2", "3", "4", "1"]],
    ["--limit", { limit: "2" }, null, ["4", "3"]],
  ])("%s", (_what, over, group, expected) => {
    expect(ids(filterRuns(ROWS, normalizeRunFilter(raw(over), group)))).toEqual(expected);
  });

  it.each<Partial<RawRunFilter>>([{ limit: "0" }, { limit: "x" }, { param: ["lr"] }, { param: ["=1"] }, { where: ["accuracy"] }])(
    "refuses %j with exit 2",
    (over) => {
      expect(() => normalizeRunFilter(raw(over), null)).toThrow(expect.objectContaining({ exitCode: 2 }));
    },
  );

  it.each([
    ["res*", "resnet", true],
    ["res*", "my-resnet", false],
    ["r?s", "res", true],
    ["a.b", "axb", false],
    ["net", "resnet-a", true],
  ])("name %j matches %j: %s", (pattern, name, expected) => {
    expect(nameMatcher(pattern)(name)).toBe(expected);
  });

  it.each([
    [0.1, "0.1", true],
    [0.1, "0.10", true],
    [0.1, "", false],
    ["0.1", "0.10", false],
    [true, "true", true],
    [[1, 2], "[1,2]", true],
  ])("param %j matches %j: %s", (actual, wanted, expected) => {
    expect(sameParam(actual, wanted)).toBe(expected);
  });
});

describe("columns", () => {
  it("exports fixed columns, then every param, then every metric, sorted, a metric named like a fixed column prefixed", () => {
    const rows = [
      row("1", { params: { b: 1, a: 2 }, metrics: { loss: 1, status: 3 } }),
      row("2", { params: { c: 3 }, metrics: { acc: 1 } }),
    ];
    expect(exportColumns(rows)).toEqual([
      "id",
      "name",
      "created",
      "status",
      "exit",
      "duration",
      "tags",
      "group",
      "trial",
      "param.a",
      "param.b",
      "param.c",
      "acc",
      "loss",
      "metric.status",
    ]);
    expect(columnText(rows[0]!, "metric.status")).toBe("3");
    expect(columnText(rows[0]!, "status")).toBe("succeeded");
    expect(columnText(rows[1]!, "param.a")).toBe("");
  });

  it.each(["", ",", "param.", "a b"])("refuses --columns %j", (text) => {
    expect(() => parseColumns(text)).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it("puts a trial's objective metric first, so a search's own metric is never cut off", () => {
    const r = row("1", { metrics: { a: 1, b: 2, c: 3, loss: 4 }, group: { id: "g", trial: 0, objective: "loss" } });
    expect(shownMetrics(r, 3).map(([k]) => k)).toEqual(["loss", "a", "b"]);
    expect(shownMetrics({ ...r, group: null }, 3).map(([k]) => k)).toEqual(["a", "b", "c"]);
  });

  it("flattens nested params to dotted keys", () => {
    expect(flattenParams({ a: { b: { c: 1 } }, d: [1], e: null })).toEqual({ "a.b.c": 1, d: [1], e: null });
  });
});
