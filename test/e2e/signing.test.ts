// Signed bundles: mlx pack --sign KEY, mlx replay --trust ALLOWED_SIGNERS, with real ssh-keygen keys and a real engine.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx, tempDir } from "../helpers/mlx.js";

const ready = dockerReady();

/** Rewrites `bundle` into `out` with its members edited in `dir` (kept in the original order). */
function rewrite(bundle: string, out: string, edit: (dir: string) => void): void {
  const dir = `${out}.d`;
  execFileSync("mkdir", ["-p", dir]);
  execFileSync("tar", ["-xf", bundle, "-C", dir]);
  edit(dir);
  const names = execFileSync("tar", ["-tf", bundle], { encoding: "utf8" }).trim().split("\n");
  const kept = names.filter((n) => existsSync(join(dir, n)));
  execFileSync("tar", ["-cf", out, "--no-recursion", "-C", dir, ...kept]);
}

describe.skipIf(!ready)("signed bundles (real Docker engine, real ssh-keygen)", () => {
  let repo: Awaited<ReturnType<typeof makeExampleRepo>>;
  let keys: Awaited<ReturnType<typeof tempDir>>;
  let signed: string;
  let allowed: string;
  let imageId: string;

  const key = (name: string): string => {
    const path = join(keys.path, name);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path]);
    return path;
  };

  beforeAll(async () => {
    repo = await makeExampleRepo();
    keys = await tempDir("mlx-keys-");
    const alice = key("alice");
    key("mallory");
    allowed = join(keys.path, "allowed_signers");
    const [type, body] = readFileSync(`${alice}.pub`, "utf8").split(" ");
    writeFileSync(allowed, `alice@example.org ${type} ${body}\n`);
    expect((await runMlx(["capture", "--config", "run.yaml", "--param", "epochs=2"], { cwd: repo.path })).exitCode).toBe(0);
    const packed = await runMlx(["pack", "--json", "--sign", alice], { cwd: repo.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
    imageId = JSON.parse(String(packed.stdout)).imageId;
    docker("rmi", "-f", imageId);
    signed = join(keys.path, "signed.tar");
    renameSync(join(repo.path, "bundle.tar"), signed);
  }, 300_000);
  afterAll(async () => {
    await repo?.[Symbol.asyncDispose]();
    await keys?.[Symbol.asyncDispose]();
  });

  it("pack --sign writes SHA256SUMS.sig right after SHA256SUMS", () => {
    expect(execFileSync("tar", ["-tf", signed], { encoding: "utf8" }).trim().split("\n").slice(-2)).toEqual([
      "SHA256SUMS",
      "SHA256SUMS.sig",
    ]);
  });

  it("replays a bundle signed by a trusted key, and the record says who signed it", async () => {
    const r = await runMlx(["replay", signed, "--json", "--trust", allowed, "--out", join(keys.path, "ok")]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout)).signature).toMatchObject({ principal: "alice@example.org", verified: true });
    expect(readFileSync(join(keys.path, "ok", "replay.yaml"), "utf8")).toMatch(/principal: alice@example.org/);
  }, 300_000);

  it.each([
    [
      "signed by another key",
      (dir: string) => {
        const sig = execFileSync("ssh-keygen", ["-Y", "sign", "-f", join(keys.path, "mallory"), "-n", "mlx-bundle"], {
          input: readFileSync(join(dir, "SHA256SUMS")),
        });
        writeFileSync(join(dir, "SHA256SUMS.sig"), sig);
      },
      /not made by any key in/,
    ],
    ["unsigned", (dir: string) => execFileSync("rm", [join(dir, "SHA256SUMS.sig")]), /not signed, and --trust/],
    [
      "SHA256SUMS changed after signing",
      (dir: string) => {
        const file = join(dir, "bundle.yaml");
        writeFileSync(file, readFileSync(file, "utf8") + "# edited\n");
        const sums = execFileSync("sha256sum", ["bundle.yaml"], { cwd: dir, encoding: "utf8" });
        const text = readFileSync(join(dir, "SHA256SUMS"), "utf8").replace(/^[0-9a-f]{64} {2}bundle\.yaml$/m, sums.trim());
        writeFileSync(join(dir, "SHA256SUMS"), text);
      },
      /does not verify for alice@example.org/,
    ],
  ] as Array<[string, (dir: string) => void, RegExp]>)(
    "refuses a bundle %s with --trust: exit 2, nothing loaded",
    async (name, edit, message) => {
      const crafted = join(keys.path, `${name.replace(/\W+/g, "-")}.tar`);
      rewrite(signed, crafted, edit);
      const r = await runMlx(["replay", crafted, "--trust", allowed, "--out", join(keys.path, `${name.replace(/\W+/g, "-")}-out`)]);
      expect(r.exitCode, String(r.stderr)).toBe(2);
      expect(String(r.stderr)).toMatch(message);
      expect(String(r.stderr)).not.toMatch(/loading image.tar/);
      expect(() => docker("image", "inspect", imageId)).toThrow();
    },
    120_000,
  );
});
