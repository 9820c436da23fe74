// "The command can start", checked at pack against a real engine: a Python command packed on the
// Node base image is refused (exit 2, no bundle) instead of failing at the reviewer.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerReady } from "../helpers/docker.js";
import { makeRepo, writeFiles } from "../helpers/git-repo.js";
import { runMlx } from "../helpers/mlx.js";

const ready = dockerReady();
const PYTHON = "/usr/bin/python3";
const NODE_BASE = `node:${process.versions.node}-bookworm-slim`;

describe.skipIf(!ready || !existsSync(PYTHON))("pack checks that the command can start (real engine)", () => {
  let repo: Awaited<ReturnType<typeof makeRepo>>;

  beforeAll(async () => {
    repo = await makeRepo({ ".gitignore": "*.tar\ndist/\n", "train.py": "print('acc=0.5')\n" });
    writeFiles(repo.path, { "dist/train.js": "console.log('acc=0.5')\n" }); // a build output git ignores
  });
  afterAll(async () => repo?.[Symbol.asyncDispose]());

  it('refuses a Python run packed on a Node base image: exit 2, `exec: "python3": executable file not found`, no bundle', async () => {
    const cap = await runMlx(["capture", "--json", "--", "python3", "train.py"], {
      cwd: repo.path,
      env: { PATH: `/usr/bin:${process.env["PATH"]}` },
    });
    expect(cap.exitCode, String(cap.stderr)).toBe(0);
    // A record from before mlx knew Python (no `python:` section): pack cannot install an interpreter for it,
    // so only the start check stands between it and a bundle that fails at the reviewer.
    const manifest = join(repo.path, ".mlx", "runs", JSON.parse(String(cap.stdout)).id, "manifest.yaml");
    const record = parse(readFileSync(manifest, "utf8")) as Record<string, unknown>;
    delete record["python"];
    writeFileSync(manifest, stringify(record));
    const r = await runMlx(["pack", "--base-image", NODE_BASE, "-o", "python-on-node.tar"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(
      new RegExp(`python3 cannot start in the image built on ${NODE_BASE}: exec: "python3": executable file not found`),
    );
    expect(String(r.stderr)).toMatch(/--base-image python:/);
    expect(existsSync(join(repo.path, "python-on-node.tar"))).toBe(false);
  }, 300_000);

  it("refuses `node dist/train.js` when git ignores dist/: exit 2 naming the file, the cause and the next step, before any build", async () => {
    const cap = await runMlx(["capture", "--", "node", "dist/train.js"], { cwd: repo.path });
    expect(cap.exitCode, String(cap.stderr)).toBe(0);
    const r = await runMlx(["pack", "--base-image", NODE_BASE, "-o", "ignored.tar"], { cwd: repo.path });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/dist\/train\.js is not in the bundle's code: it is ignored by git \(\.gitignore:2:dist\/\)/);
    expect(String(r.stderr)).toMatch(/mlx pack --include dist\/train\.js/);
    expect(String(r.stderr)).not.toMatch(/building the image/);
    expect(existsSync(join(repo.path, "ignored.tar"))).toBe(false);
  }, 120_000);
});
