import { execFileSync } from "node:child_process";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MetricsCollector, SDK_METRICS_FILE } from "./metrics-collector.js";

// What a container could plant where mlx reads after the run: links to host files, FIFOs.
describe("MetricsCollector reading files another party wrote", () => {
  let dir: string;
  const hostFile = (): string => join(dir, "host-secret.jsonl");
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlx-collector-"));
    await writeFile(hostFile(), '{"name":"host_secret","value":42}\nroot:x:0:0\n');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const collect = async (read: (c: MetricsCollector) => Promise<void>): Promise<{ final: object; warnings: string[] }> => {
    const collector = new MetricsCollector(join(dir, "series.jsonl"));
    await read(collector);
    return collector.close();
  };

  it("reads the SDK file when it is a regular file", async () => {
    await writeFile(join(dir, SDK_METRICS_FILE), '{"name":"acc","value":0.5}\n');
    const got = await collect((c) => c.readSdkFile(join(dir, SDK_METRICS_FILE), SDK_METRICS_FILE));
    expect(got.final).toEqual({ acc: 0.5 });
  });

  it("never follows a symlink planted as the SDK file: the host file's content stays out of the report", async () => {
    await symlink(hostFile(), join(dir, SDK_METRICS_FILE));
    const got = await collect((c) => c.readSdkFile(join(dir, SDK_METRICS_FILE), SDK_METRICS_FILE));
    expect(got.final).toEqual({});
    expect(JSON.stringify(got)).not.toMatch(/host_secret|root:x/);
    expect(got.warnings).toEqual([`${SDK_METRICS_FILE} is a symbolic link: never followed`]);
  });

  it("does not hang on a FIFO planted as the SDK file", { timeout: 3000 }, async () => {
    execFileSync("mkfifo", [join(dir, SDK_METRICS_FILE)]);
    const got = await collect((c) => c.readSdkFile(join(dir, SDK_METRICS_FILE), SDK_METRICS_FILE));
    expect(got.warnings).toEqual([`${SDK_METRICS_FILE} is not a regular file (a FIFO): never read`]);
  });

  it.each([
    ["a symlink", async (p: string) => symlink(hostFile(), p), /symbolic link/],
    ["a FIFO", async (p: string) => void execFileSync("mkfifo", [p]), /a FIFO/],
  ])("never reads a declared metrics file that is %s", { timeout: 3000 }, async (_name, plant, warning) => {
    const path = join(dir, "metrics.json");
    await plant(path);
    const got = await collect((c) => c.readMetricFile(path, "metrics.json", 1));
    expect(got.final).toEqual({});
    expect(got.warnings.join("\n")).toMatch(warning);
    expect(JSON.stringify(got)).not.toMatch(/host_secret/);
  });
});
