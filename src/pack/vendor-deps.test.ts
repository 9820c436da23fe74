import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BadInputError } from "../errors.js";
import type { PythonInfo } from "../record/types.js";
import { runManifest } from "../../test/helpers/records.js";
import { vendorVenv } from "./vendor-deps.js";

const made: string[] = [];
afterEach(() => made.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function pythonOf(venv: string): PythonInfo & { available: true } {
  return {
    available: true,
    executable: join(venv, "bin", "python"),
    version: "3.11.2",
    implementation: "CPython",
    environment: "venv",
    prefix: venv,
    basePrefix: "/usr",
    siteFolders: [],
    distributions: [],
  };
}

describe("vendorVenv", () => {
  it.each([
    ["the repository inside the venv", (venv: string) => join(venv, "proj")],
    ["the venv made at the repository's root", (venv: string) => venv],
  ])("refuses %s: the venv would carry the repository's .git and secrets past the snapshot's filters", async (_, rootOf) => {
    const venv = mkdtempSync(join(tmpdir(), "mlx-venv-"));
    made.push(venv);
    const root = rootOf(venv);
    mkdirSync(join(root, ".git"), { recursive: true });
    writeFileSync(join(root, ".env"), "TOKEN=secret\n");
    writeFileSync(join(venv, "pyvenv.cfg"), "home = /usr/bin\n");
    const run = runManifest({ python: pythonOf(venv) });
    const error = await vendorVenv(root, run, { version: "3.11.2", venv, debian: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadInputError);
    expect(String((error as Error).message)).toMatch(/lies inside the venv/);
  });
});
