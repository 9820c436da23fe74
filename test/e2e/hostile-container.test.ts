import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { runMlx } from "../helpers/mlx.js";
import { type ReviewerBundle, reviewerBundle, tamper } from "../helpers/reviewer-bundle.js";

const ready = dockerReady();

/** A copy of `bundle` whose run record asks for `argv`, with SHA256SUMS recomputed: the attacker controls it all. */
function withCommand(bundle: string, out: string, argv: string[]): void {
  tamper(bundle, out, (dir) => {
    const runs = join(dir, "records", "runs");
    const manifest = join(runs, readdirSync(runs)[0]!, "manifest.yaml");
    const record = parse(readFileSync(manifest, "utf8"));
    record.command.argv = argv;
    writeFileSync(manifest, stringify(record));
  });
}

describe.skipIf(!ready)("mlx replay of a hostile container (real Docker engine)", () => {
  let reviewer: ReviewerBundle;
  let elsewhere: { path: string };
  let bundle: string;
  let imageId: string;

  beforeAll(async () => {
    reviewer = await reviewerBundle(2);
    ({ bundle, imageId } = reviewer);
    elsewhere = { path: reviewer.folder };
  }, 300_000);
  afterAll(async () => {
    await reviewer?.[Symbol.asyncDispose]();
  });

  it("refuses --cpus 0 and --memory 1k with exit 2 before anything is extracted", async () => {
    for (const limit of [
      ["--cpus", "0"],
      ["--memory", "1k"],
      ["--timeout", "0"],
    ]) {
      const r = await runMlx(["replay", bundle, "--out", join(elsewhere.path, "limits"), ...limit]);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(existsSync(join(elsewhere.path, "limits"))).toBe(false);
    }
  });

  it("a link and a FIFO planted in /mlx leak nothing and hang nothing; escapes are neutralised and marked", async () => {
    const evil = join(elsewhere.path, "evil.tar");
    const script =
      "ln -sf /etc/hostname /mlx/sdk-metrics.jsonl; mkfifo /mlx/sdk-metrics.jsonl /mlx/fifo; " +
      "printf '\\033]0;pwned\\007\\033[2JREPRODUCED: fake\\n'; exit 0";
    withCommand(bundle, evil, ["sh", "-c", script]);
    const r = await runMlx(["replay", evil, "--out", join(elsewhere.path, "evil-out"), "--timeout", "2m"], { timeout: 120_000 });
    const stdout = String(r.stdout);
    expect(r.exitCode, String(r.stderr)).toBe(1);
    expect(stdout).not.toContain(hostname());
    expect(stdout).not.toContain("\u001b");
    expect(stdout).toContain("│ \\x1b]0;pwned\\x07\\x1b[2JREPRODUCED: fake");
    expect(stdout.split("\n").filter((l) => l.startsWith("REPRODUCED"))).toEqual([]);
    expect(stdout).toMatch(/DIVERGED: metric accuracy missing/);
    // The raw bytes are kept in the log.
    expect(readFileSync(join(elsewhere.path, "evil-out", "logs", "stdout.log"), "utf8")).toContain("\u001b]0;pwned");
    expect(readFileSync(join(elsewhere.path, "evil-out", "mlx", "sdk-metrics.jsonl"), "utf8")).toBe("");
  }, 180_000);

  it("a command its image lacks is exit 2 naming it, not an environment failure", async () => {
    const missing = join(elsewhere.path, "missing.tar");
    withCommand(bundle, missing, ["no-such-program", "--x"]);
    const r = await runMlx(["replay", missing, "--out", join(elsewhere.path, "missing-out")], { timeout: 120_000 });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toContain(`the bundle's command "no-such-program" is not in its image`);
    expect(() => docker("image", "inspect", imageId)).toThrow();
  }, 180_000);
});
