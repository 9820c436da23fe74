import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findOnPath } from "./probe.js";
import { probeRuntimes } from "./probe-runtimes.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mlx-runtimes-"));
  // Tiny stand-ins: a node that is not the one running mlx, and a python that answers on stderr as Python 2 did.
  await mkdir(join(dir, "other"));
  await writeFile(join(dir, "other", "node"), "#!/bin/sh\necho v1.2.3\n");
  await writeFile(join(dir, "other", "python3"), "#!/bin/sh\necho 'Python 3.99.1' >&2\n");
  await mkdir(join(dir, "self"));
  await symlink(process.execPath, join(dir, "self", "node"));
  await mkdir(join(dir, "broken"));
  await writeFile(join(dir, "broken", "node"), "#!/bin/sh\necho 'node: cannot start' >&2\nexit 9\n");
  for (const file of ["other/node", "other/python3", "broken/node"]) await chmod(join(dir, file), 0o755);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const host = (path: string) => ({ env: { PATH: path }, execPath: process.execPath, nodeVersion: "0.0.0-running" });

describe("probeRuntimes", () => {
  it("takes the version of the node running mlx from its host, without starting it again", async () => {
    const runtimes = await probeRuntimes(host(join(dir, "self")), dir, 5000);
    expect(runtimes.node).toBe("0.0.0-running");
  });

  it("asks another node on PATH for its version, and reads a python's from stderr", async () => {
    const runtimes = await probeRuntimes(host(join(dir, "other")), dir, 5000);
    expect(runtimes).toMatchObject({ node: "1.2.3", python: "3.99.1" });
  });

  it("records why a version could not be read instead of failing", async () => {
    const runtimes = await probeRuntimes(host(join(dir, "broken")), dir, 5000);
    expect(runtimes.node).toBeUndefined();
    expect(runtimes.missing?.["node"]).toContain("node: cannot start");
    expect(runtimes.missing?.["python"]).toBe("not found on PATH");
  });
});

describe("findOnPath", () => {
  // Folders relative to the temp folder, made in beforeAll; "" is an empty PATH, null none at all.
  it.each<[string, string[] | null, string, string | undefined]>([
    ["finds an executable in a later folder", ["missing", "other"], "node", "other/node"],
    ["skips a folder without it", ["self", "other"], "python3", "other/python3"],
    ["finds nothing on an empty PATH", [], "node", undefined],
    ["finds nothing without a PATH", null, "node", undefined],
  ])("%s", async (_name, folders, name, expected) => {
    const pathVar = folders?.map((f) => join(dir, f)).join(":");
    expect(await findOnPath(name, pathVar)).toBe(expected === undefined ? undefined : join(dir, expected));
  });

  it("needs a folder, not its parent", async () => {
    expect(await findOnPath("node", dirname(join(dir, "other")))).toBeUndefined();
  });
});
