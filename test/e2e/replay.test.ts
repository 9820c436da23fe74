import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker, dockerReady } from "../helpers/docker.js";
import { makeExampleRepo } from "../helpers/example-repo.js";
import { runMlx, tempDir } from "../helpers/mlx.js";
import { type ReviewerBundle, reviewerBundle, tamper } from "../helpers/reviewer-bundle.js";

const ready = dockerReady();
const CRAFT = new URL("../helpers/craft-tar.py", import.meta.url).pathname;

describe.skipIf(!ready)("mlx replay (real Docker engine)", () => {
  let reviewer: ReviewerBundle;
  let elsewhere: { path: string };
  let bundle: string;
  let imageId: string;

  beforeAll(async () => {
    reviewer = await reviewerBundle(8);
    ({ bundle, imageId } = reviewer);
    elsewhere = { path: reviewer.folder };
  }, 300_000);
  afterAll(async () => {
    await reviewer?.[Symbol.asyncDispose]();
  });

  it("reproduces the example on the reviewer's path: exit 0, identical metrics, nothing left behind", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--json", "--out", "review"], { cwd: elsewhere.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const report = JSON.parse(String(r.stdout));
    expect(report.verdict).toBe("reproduced");
    expect(report.metrics.map((m: { name: string; verdict: string }) => [m.name, m.verdict])).toEqual([
      ["accuracy", "same"],
      ["loss", "same"],
      ["test_loss", "same"],
      ["train_accuracy", "same"],
    ]);
    expect(report.outputs).toMatchObject([{ path: "model/weights.json", verdict: "same" }]);
    const record = parse(readFileSync(join(elsewhere.path, "review", "replay.yaml"), "utf8"));
    expect(record).toMatchObject({ kind: "Replay", verdict: "reproduced" });
    // Its own container only: other e2e files may be running containers of their own meanwhile.
    expect(docker("ps", "-aq", "--filter", `label=org.mlx.replay-of=${report.run}`)).toBe("");
    expect(() => docker("image", "inspect", imageId)).toThrow(); // the image it loaded is removed again
    expect(readdirSync(join(elsewhere.path, "review")).sort()).toEqual([
      "logs",
      "metrics.jsonl",
      "mlx",
      "original-metrics.jsonl",
      "outputs",
      "replay.yaml",
    ]);
  }, 300_000);

  it("runs hardened: no capabilities, no privileges, read-only root, no network, limits, not root, explicit entrypoint", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--keep", "--json", "--out", "kept"], { cwd: elsewhere.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const id = JSON.parse(String(r.stdout)).container.containerId;
    try {
      const c = JSON.parse(docker("inspect", id))[0];
      expect(c.HostConfig.CapDrop).toEqual(["ALL"]);
      expect(c.HostConfig.CapAdd).toBeNull();
      expect(c.HostConfig.SecurityOpt).toContain("no-new-privileges");
      expect(c.HostConfig.ReadonlyRootfs).toBe(true);
      expect(c.HostConfig.NetworkMode).toBe("none");
      expect(c.HostConfig.Privileged).toBe(false);
      expect(c.HostConfig.PidsLimit).toBeGreaterThan(0);
      expect(c.HostConfig.Memory).toBeGreaterThan(0);
      expect(c.HostConfig.NanoCpus).toBeGreaterThan(0);
      expect(c.Config.User).toBe("65534:65534");
      expect(c.Config.Entrypoint).toEqual(["node"]);
      expect(JSON.stringify(c.HostConfig.Binds)).not.toContain("docker.sock");
      expect(c.HostConfig.Tmpfs["/tmp"]).toMatch(/noexec.*nosuid/);
    } finally {
      docker("rm", "-f", "-v", id);
      docker("rmi", "-f", imageId);
    }
  }, 300_000);

  it("refuses a bundle with one flipped byte, naming the member, before loading or running anything", async () => {
    const bad = join(elsewhere.path, "flipped.tar");
    tamper(
      bundle,
      bad,
      (dir) => {
        const manifests = execFileSync("find", [join(dir, "records"), "-name", "manifest.yaml"], { encoding: "utf8" }).trim();
        const text = readFileSync(manifests);
        text[text.indexOf("seed")]! ^= 0x01;
        writeFileSync(manifests, text);
      },
      false,
    );
    const r = await runMlx(["replay", bad, "--out", join(elsewhere.path, "flip-out")], { cwd: elsewhere.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/bundle member records\/runs\/.*\/manifest\.yaml is corrupt: sha256 [0-9a-f]{64}, SHA256SUMS says/);
    expect(() => docker("image", "inspect", imageId)).toThrow();
    expect(existsSync(join(elsewhere.path, "flip-out"))).toBe(false); // nothing left: it made the folder, and removed it
  }, 120_000);

  it.each([
    ["a ../ member", [{ name: "../pwn-mlx-test", data: "x" }], /path climbs out/],
    [
      "a symlink member",
      [
        { name: "bundle.yaml", data: "x" },
        { name: "link", type: "symlink", linkname: "/etc" },
      ],
      /SymbolicLink entries are not allowed/,
    ],
    ["an absolute member", [{ name: "/tmp/pwn-mlx-abs", data: "x" }], /absolute path|climbs out|unsafe bundle member/],
    ["a setuid member", [{ name: "bin/suid", data: "x", mode: 0o4755 }], /setuid/],
    [
      "a duplicate member",
      [
        { name: "a.txt", data: "1" },
        { name: "a.txt", data: "2" },
      ],
      /duplicate bundle member "a\.txt"/,
    ],
    [
      "NFC/NFD twins",
      [
        { name: "caf\u00e9", data: "1" },
        { name: "cafe\u0301", data: "2" },
      ],
      /collide/,
    ],
    ["a hard link", [{ name: "x", type: "hardlink", linkname: "../../etc/passwd" }], /Link entries are not allowed|climbs out/],
  ])("refuses %s with exit 2, writing nothing outside its folder", async (_, spec, message) => {
    await using dir = await tempDir();
    writeFileSync(join(dir.path, "spec.json"), JSON.stringify(spec));
    execFileSync("python3", [CRAFT, join(dir.path, "evil.tar"), join(dir.path, "spec.json")]);
    const passwd = readFileSync("/etc/passwd");
    const r = await runMlx(["replay", "evil.tar", "--out", "o"], { cwd: dir.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
    expect(existsSync(join(dir.path, "..", "pwn-mlx-test"))).toBe(false);
    expect(existsSync("/tmp/pwn-mlx-abs")).toBe(false);
    expect(existsSync(join(dir.path, "o"))).toBe(false);
    expect(readFileSync("/etc/passwd").equals(passwd)).toBe(true);
  });

  it.each([
    [
      "a compressed file",
      (p: string) => execFileSync("sh", ["-c", `head -c 100000 /dev/zero | gzip > ${p}`]),
      /compressed \(gzip\); expected a plain tar/,
    ],
    ["random bytes", (p: string) => writeFileSync(p, Buffer.alloc(4096, 7)), /not a tar \(no ustar magic at offset 257\)/],
    ["an empty file", (p: string) => writeFileSync(p, ""), /not a tar/],
    ["a missing path", () => undefined, /no such file/],
  ])("refuses %s with exit 2, making no folder", async (_, make, message) => {
    await using dir = await tempDir();
    make(join(dir.path, "b.tar"));
    const r = await runMlx(["replay", "b.tar"], { cwd: dir.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
    expect(readdirSync(dir.path).filter((f) => f.includes(".replay-"))).toEqual([]);
  });

  it("refuses a truncated bundle with exit 2 naming the last member, leaving its folder empty", async () => {
    const cut = join(elsewhere.path, "cut.tar");
    execFileSync("sh", ["-c", `head -c -100000 ${bundle} > ${cut}`]);
    const r = await runMlx(["replay", cut, "--out", join(elsewhere.path, "cut-out")], { cwd: elsewhere.path });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(String(r.stderr)).toMatch(/truncated or corrupt|cannot be read/);
    expect(existsSync(join(elsewhere.path, "cut-out"))).toBe(false);
  }, 120_000);

  it("never lets a bundle take over a tag the reviewer has: tags are stripped on load and the image runs by id", async () => {
    const base = `node:${process.versions.node}-bookworm-slim`;
    docker("tag", base, "mlx-victim:latest");
    const victimId = docker("image", "inspect", "mlx-victim:latest", "--format", "{{.Id}}");
    const evil = join(elsewhere.path, "tagged.tar");
    tamper(bundle, evil, (dir) => {
      const inner = join(dir, "image.d");
      execFileSync("mkdir", ["-p", inner]);
      execFileSync("tar", ["-xf", join(dir, "image.tar"), "-C", inner]);
      const manifest = JSON.parse(readFileSync(join(inner, "manifest.json"), "utf8"));
      manifest[0].RepoTags = ["mlx-victim:latest"];
      writeFileSync(join(inner, "manifest.json"), JSON.stringify(manifest));
      execFileSync("sh", ["-c", `cd ${inner} && tar -cf ../image.tar * && cd .. && rm -rf image.d`]);
    });
    try {
      const r = await runMlx(["replay", evil, "--out", join(elsewhere.path, "tag-out")], { cwd: elsewhere.path });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      expect(String(r.stderr)).toContain("its tags mlx-victim:latest stripped");
      expect(docker("image", "inspect", "mlx-victim:latest", "--format", "{{.Id}}")).toBe(victimId);
    } finally {
      docker("rmi", "mlx-victim:latest");
    }
  }, 300_000);

  it("exits 3 when GPUs are asked for on an engine without a GPU runtime", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--gpus", "all", "--out", "gpu-out"], { cwd: elsewhere.path });
    expect(r.exitCode).toBe(3);
    expect(String(r.stderr)).toMatch(/the Docker engine has no GPU runtime.*\n.*NVIDIA container toolkit/);
    // Its own containers only: other e2e files may keep containers of their own (--keep) meanwhile.
    const runId = /runs:\n\s+- (\S+)/.exec(
      execFileSync("tar", ["-xOf", join(elsewhere.path, "bundle.tar"), "bundle.yaml"], { encoding: "utf8" }),
    )![1]!;
    expect(docker("ps", "-aq", "--filter", `label=org.mlx.replay-of=${runId}`)).toBe("");
  }, 300_000);

  it("rebuilds and reproduces a --no-image bundle from its Dockerfile and vendored context", async () => {
    await using lean = await makeExampleRepo();
    expect((await runMlx(["capture", "--config", "run.yaml", "--param", "epochs=3"], { cwd: lean.path })).exitCode).toBe(0);
    const packed = await runMlx(["pack", "--no-image"], { cwd: lean.path });
    expect(packed.exitCode, String(packed.stderr)).toBe(0);
    const names = execFileSync("tar", ["-tf", join(lean.path, "bundle.tar")], { encoding: "utf8" });
    expect(names).not.toContain("image.tar");
    expect(names).toContain("context/app/node_modules/@tensorflow/tfjs-core/package.json");
    const r = await runMlx(["replay", "bundle.tar", "--out", "o"], { cwd: lean.path });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toContain(
      "building the image from the bundled context and the Dockerfile rendered from the record (no network)",
    );
    expect(String(r.stdout)).toContain("REPRODUCED");
  }, 300_000);

  it("refuses a bundle manifest that asks for power (privileged, host binds), naming the field", async () => {
    const bad = join(elsewhere.path, "power.tar");
    tamper(bundle, bad, (dir) => {
      const text = readFileSync(join(dir, "bundle.yaml"), "utf8");
      writeFileSync(join(dir, "bundle.yaml"), `${text}privileged: true\nbinds: ["/:/host"]\n`);
    });
    const r = await runMlx(["replay", bad, "--out", join(elsewhere.path, "power-out")], { cwd: elsewhere.path });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/bundle\.yaml is invalid: \/ must NOT have additional properties 'privileged'/);
  }, 120_000);

  it("never follows a link the command planted in an output folder: the output is unsafe and the replay diverges", async () => {
    // The same code behaves differently in replay's container (it runs as nobody, 65534): it plants a
    // link to /etc/shadow there. (/.dockerenv would not do: CI itself may run in a container.)
    const plant =
      "const fs = require('fs'); fs.mkdirSync('outdir', { recursive: true }); fs.writeFileSync('outdir/a.txt', 'ok');\n" +
      "if (process.getuid() === 65534) fs.symlinkSync('/etc/shadow', 'outdir/link');\nconsole.log('score=1.5');\n";
    await using planted = await makeExampleRepo({ "plant.cjs": plant });
    expect((await runMlx(["capture", "--output", "outdir", "--", "node", "plant.cjs"], { cwd: planted.path })).exitCode).toBe(0);
    expect((await runMlx(["pack"], { cwd: planted.path })).exitCode).toBe(0);
    const shadow = readFileSync("/etc/shadow");
    const r = await runMlx(["replay", "bundle.tar", "--json", "--out", "o"], { cwd: planted.path });
    const report = JSON.parse(String(r.stdout));
    expect(r.exitCode).toBe(1);
    expect(report.metrics).toMatchObject([{ name: "score", verdict: "same" }]);
    expect(report.outputs[0]).toMatchObject({ path: "outdir", verdict: "unsafe", reason: "not regular files, never read: link" });
    expect(readFileSync("/etc/shadow").equals(shadow)).toBe(true);
  }, 300_000);

  it("exits 3 when Docker is unreachable", async () => {
    const r = await runMlx(["replay", "bundle.tar", "--out", "nodocker"], {
      cwd: elsewhere.path,
      env: { DOCKER_HOST: "unix:///nope.sock" },
    });
    expect(r.exitCode).toBe(3);
    expect(String(r.stderr)).toMatch(/Docker engine not reachable at \/nope\.sock/);
  }, 120_000);

  it("exits 1 when the result depends on the wall clock, showing the diverging metric", async () => {
    await using clock = await makeExampleRepo();
    expect(
      (await runMlx(["capture", "--", "node", "-e", "console.log('now=' + Date.now()); console.log('fixed=1.5')"], { cwd: clock.path }))
        .exitCode,
    ).toBe(0);
    expect((await runMlx(["pack"], { cwd: clock.path })).exitCode).toBe(0);
    const r = await runMlx(["replay", "bundle.tar", "--out", "o"], { cwd: clock.path });
    expect(r.exitCode).toBe(1);
    expect(String(r.stdout)).toMatch(/now +\d+ +\d+ .*diverged: integers must be equal/);
    expect(String(r.stdout)).toMatch(/fixed +1\.5 +1\.5 .*same/);
    expect(String(r.stdout)).toMatch(/DIVERGED: .*now/);
  }, 300_000);
});
