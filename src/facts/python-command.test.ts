import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectPythonCommand, parseShebang, type PythonCommandContext } from "./python-command.js";

describe("parseShebang", () => {
  it.each([
    ["#!/usr/bin/env python3\nimport x", ["python3"]],
    ["#!/usr/bin/env -S python3 -u\n", ["python3", "-u"]],
    ["#! /opt/venv/bin/python -u\n", ["/opt/venv/bin/python", "-u"]],
    ["#!/usr/bin/env PYTHONUNBUFFERED=1 python3.11\n", ["python3.11"]],
    ["#!/usr/bin/env\n", null],
    ["import sys\n", null],
    ["", null],
  ])("%j gives %j", (head, words) => {
    expect(parseShebang(head)).toEqual(words);
  });
});

describe("detectPythonCommand", () => {
  let dir: string;
  let context: PythonCommandContext;
  const at = (...parts: string[]): string => join(dir, ...parts);
  const file = async (path: string, text: string): Promise<void> => {
    await mkdir(dirname(at(path)), { recursive: true });
    await writeFile(at(path), text);
    await chmod(at(path), 0o755);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "mlx-pycmd-"));
    await file("bin/python3", "#!/bin/sh\n");
    await file("bin/python3.11", "#!/bin/sh\n");
    await file("bin/node", "#!/bin/sh\n");
    await file("opt/venv/bin/python", "#!/bin/sh\n");
    await file("proj/.venv/bin/python", "#!/bin/sh\n");
    await file("proj/.venv/bin/train", "#!" + at("proj/.venv/bin/python") + "\n");
    await file("proj/sub/train.py", "print(1)\n");
    await file("scripts/env-shebang", "#!/usr/bin/env python3\nprint(1)\n");
    await file("scripts/venv-shebang", `#!${at("opt/venv/bin/python")} -u\nprint(1)\n`);
    await file("scripts/node-script", "#!/usr/bin/env node\n");
    await file("pyenv/shims/python3", "#!/bin/sh\n");
    await file("pyenv/versions/3.12.1/bin/python3", "#!/bin/sh\n");
    await file("pyenv/version", "3.12.1\n");
    await file("tools/poetry", `#!/bin/sh\necho ${at("cache/venv")}\n`);
    await file("cache/venv/bin/python", "#!/bin/sh\n");
    await file("broken/pipenv", "#!/bin/sh\necho 'No virtualenv has been created' >&2\nexit 1\n");
    context = { cwd: at("proj/sub"), env: { PATH: at("bin") }, timeoutMs: 5000 };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, string[], (root: string) => string | null]>([
    ["python3 on PATH", ["python3", "x.py"], (d) => join(d, "bin/python3")],
    ["python3.X on PATH", ["python3.11", "-c", "pass"], (d) => join(d, "bin/python3.11")],
    ["a path to an interpreter", ["../../opt/venv/bin/python", "x.py"], (d) => join(d, "opt/venv/bin/python")],
    ["a script with an env shebang", ["../../scripts/env-shebang"], (d) => join(d, "bin/python3")],
    ["a script whose shebang names a venv", ["../../scripts/venv-shebang"], (d) => join(d, "opt/venv/bin/python")],
    ["uv run python: the project's .venv", ["uv", "run", "--with", "numpy", "python", "x.py"], (d) => join(d, "proj/.venv/bin/python")],
    ["uv run a .py file", ["uv", "run", "train.py"], (d) => join(d, "proj/.venv/bin/python")],
    ["poetry run a console script of the venv", ["poetry", "run", "train"], (d) => join(d, "proj/.venv/bin/python")],
    ["node", ["node", "x.js"], () => null],
    ["a node script", ["../../scripts/node-script"], () => null],
    ["uv run node", ["uv", "run", "node", "x.js"], () => null],
    ["a missing command", ["nothing-here"], () => null],
  ])("%s", async (_name, argv, expected) => {
    const found = await detectPythonCommand(argv, false, context);
    const want = expected(dir);
    expect(found).toEqual(want === null ? null : { executable: want });
  });

  it("reads a plain shell line, and leaves a shell pipeline alone", async () => {
    expect(await detectPythonCommand(["python3 x.py --lr 0.1"], true, context)).toEqual({ executable: at("bin/python3") });
    expect(await detectPythonCommand(["python3 x.py | tee log"], true, context)).toBeNull();
  });

  it("says why when python is named but not found", async () => {
    expect(await detectPythonCommand(["python3.9", "x.py"], false, context)).toEqual({ executable: null, reason: "python3.9 not found" });
  });

  it("sees through a pyenv shim to the version pyenv would pick, or to the system one", async () => {
    const env = { PATH: `${at("pyenv/shims")}:${at("bin")}` };
    expect(await detectPythonCommand(["python3"], false, { ...context, env })).toEqual({
      executable: at("pyenv/versions/3.12.1/bin/python3"),
    });
    expect(await detectPythonCommand(["python3"], false, { ...context, env: { ...env, PYENV_VERSION: "system" } })).toEqual({
      executable: at("bin/python3"),
    });
  });

  it("asks poetry where its environment is when the project has no .venv", async () => {
    const outside = { ...context, cwd: at("scripts"), env: { PATH: `${at("tools")}:${at("bin")}` } };
    expect(await detectPythonCommand(["poetry", "run", "python", "x.py"], false, outside)).toEqual({
      executable: at("cache/venv/bin/python"),
    });
  });

  it("records why a launcher's environment cannot be found", async () => {
    const outside = { ...context, cwd: at("scripts"), env: { PATH: `${at("broken")}:${at("bin")}` } };
    const found = await detectPythonCommand(["pipenv", "run", "python", "x.py"], false, outside);
    expect(found).toEqual({ executable: null, reason: expect.stringContaining("No virtualenv has been created") });
    const uv = await detectPythonCommand(["uv", "run", "x.py"], false, outside);
    expect(uv).toEqual({ executable: null, reason: expect.stringContaining("no .venv") });
  });
});
