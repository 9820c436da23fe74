import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ReplayReport } from "../record/types.js";
import { readOriginalSeries } from "./read-original-series.js";

const RUN = "20261123-150752-000-1a2b3c";
const SERIES =
  '{"name":"loss","value":1,"step":1,"time":0,"source":"stdout"}\n{"name":"loss","value":0.5,"step":2,"time":0,"source":"stdout"}\n';
const dir = mkdtempSync(join(tmpdir(), "mlx-report-series-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A plain tar holding the run's series and a SHA256SUMS line for it, with `digest` (the true one by default). */
function bundle(name: string, digest?: string): string {
  const root = join(dir, `${name}.d`);
  const member = `records/runs/${RUN}/metrics.jsonl`;
  mkdirSync(join(root, `records/runs/${RUN}`), { recursive: true });
  writeFileSync(join(root, member), SERIES);
  writeFileSync(join(root, "SHA256SUMS"), `${digest ?? createHash("sha256").update(SERIES).digest("hex")}  ${member}\n`);
  const path = join(dir, `${name}.tar`);
  execFileSync("tar", ["--format=ustar", "-cf", path, "-C", root, member, "SHA256SUMS"]);
  return path;
}

const report = (path: string): ReplayReport => ({ run: RUN, bundle: { path, imageId: "sha256:x" } }) as ReplayReport;

describe("readOriginalSeries", () => {
  it.each([
    ["from the bundle, checked against SHA256SUMS", () => bundle("good"), 2, null],
    ["a member that does not match SHA256SUMS is not drawn", () => bundle("bad", "0".repeat(64)), null, /does not match/],
    ["a bundle that is gone", () => join(dir, "gone.tar"), null, /no such file/],
  ])("%s", async (_, make, points, note) => {
    const empty = mkdtempSync(join(dir, "replay-"));
    const got = await readOriginalSeries(empty, report(make()));
    expect(got.points?.length ?? null).toBe(points);
    if (note) expect(got.note).toMatch(note);
    else expect(got.note).toBeNull();
  });

  it("reads the copy replay made in its folder first, with no bundle and no --keep folder", async () => {
    const replay = mkdtempSync(join(dir, "copied-"));
    writeFileSync(join(replay, "original-metrics.jsonl"), SERIES);
    mkdirSync(join(replay, `bundle-abc/records/runs/${RUN}`), { recursive: true });
    writeFileSync(join(replay, `bundle-abc/records/runs/${RUN}/metrics.jsonl`), SERIES.split("\n")[0] + "\n");
    const got = await readOriginalSeries(replay, report(join(dir, "gone.tar")));
    expect(got.note).toBeNull();
    expect(got.points?.map((p) => p.value)).toEqual([1, 0.5]);
  });

  it("falls back to the bundle when the copy is a link, never following it", async () => {
    const replay = mkdtempSync(join(dir, "linked-"));
    writeFileSync(join(dir, "planted.jsonl"), SERIES.split("\n")[0] + "\n");
    symlinkSync(join(dir, "planted.jsonl"), join(replay, "original-metrics.jsonl"));
    const got = await readOriginalSeries(replay, report(bundle("behind-link")));
    expect(got.note).toBeNull();
    expect(got.points).toHaveLength(2);
  });

  it("prefers the records a --keep replay left in its folder", async () => {
    const replay = mkdtempSync(join(dir, "kept-"));
    mkdirSync(join(replay, `bundle-abc/records/runs/${RUN}`), { recursive: true });
    writeFileSync(join(replay, `bundle-abc/records/runs/${RUN}/metrics.jsonl`), SERIES.split("\n")[0] + "\n");
    const got = await readOriginalSeries(replay, report(join(dir, "gone.tar")));
    expect(got).toMatchObject({ note: null });
    expect(got.points).toHaveLength(1);
  });
});
