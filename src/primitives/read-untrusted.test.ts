import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readRegularFile, UntrustedFileError } from "./read-untrusted.js";

describe("readRegularFile", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlx-untrusted-"));
    await writeFile(join(dir, "secret"), "host secret\n");
    await writeFile(join(dir, "small"), "ok\n");
    await writeFile(join(dir, "big"), "x".repeat(100));
    await symlink(join(dir, "secret"), join(dir, "link"));
    await mkdir(join(dir, "folder"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads a regular file within the cap", async () => {
    expect((await readRegularFile(join(dir, "small"), 10)).toString()).toBe("ok\n");
  });

  it.each([
    ["a symlink to a host file", "link", "not-regular", /symbolic link/],
    ["a FIFO (without waiting for a writer)", "fifo", "not-regular", /a FIFO/],
    ["a folder", "folder", "not-regular", /a folder/],
    ["a file over the cap", "big", "too-large", /larger than 10 bytes/],
    ["a missing file", "none", "missing", /not written/],
  ])("refuses %s", { timeout: 2000 }, async (_name, file, kind, message) => {
    const error: unknown = await readRegularFile(join(dir, file), 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UntrustedFileError);
    expect((error as UntrustedFileError).kind).toBe(kind);
    expect((error as UntrustedFileError).message).toMatch(message);
  });
});
