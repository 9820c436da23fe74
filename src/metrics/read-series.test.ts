import { execFileSync } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSeries } from "./read-series.js";

describe("readSeries", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlx-series-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const a = { name: "loss", value: 0.5, step: 1, time: 1, source: "stdout" };
  const b = { name: "loss", value: "NaN", step: 2, time: 2, source: "sdk" };
  it.each([
    ["every point in order", `${JSON.stringify(a)}\n${JSON.stringify(b)}\n`, [a, b]],
    ["CRLF line ends and blank lines", `${JSON.stringify(a)}\r\n\r\n${JSON.stringify(b)}`, [a, b]],
    ["the points before a cut last line", `${JSON.stringify(a)}\n{"name":"lo`, [a]],
    ["nothing from an empty file", "", []],
  ])("reads %s", async (name, text, expected) => {
    const path = join(dir, `${name.replace(/\W+/g, "-")}.jsonl`);
    await writeFile(path, text);
    expect(await readSeries(path)).toEqual(expected);
  });

  it("reads nothing from a symlink to a host file, nor hangs on a FIFO", { timeout: 3000 }, async () => {
    await writeFile(join(dir, "host.jsonl"), `${JSON.stringify(a)}\n`);
    await symlink(join(dir, "host.jsonl"), join(dir, "link.jsonl"));
    execFileSync("mkfifo", [join(dir, "fifo.jsonl")]);
    expect(await readSeries(join(dir, "link.jsonl"))).toEqual([]);
    expect(await readSeries(join(dir, "fifo.jsonl"))).toEqual([]);
  });

  it("reads nothing, without failing, from a missing file", async () => {
    expect(await readSeries(join(dir, "absent.jsonl"))).toEqual([]);
  });
});
