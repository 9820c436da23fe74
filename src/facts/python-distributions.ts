// Runs the Python facts helper (python-facts.py) with a given interpreter and checks what it prints.
// Capture records its answer; pack calls readPythonDistributions again to see whether anything
// installed changed since the run (same name, version and fingerprint, or not).
import { fileURLToPath } from "node:url";
import { describeError } from "../errors.js";
import type { PythonDistribution } from "../record/types.js";
import { runProcessOrThrow } from "../primitives/run-process.js";

/**
 * The helper's path. "../facts/" resolves the same from src/facts/ (tests), dist/facts/ (tsc) and
 * dist/cli/ (the bundled CLI), as scripts/bundle.mjs copies the helper to dist/facts/.
 */
export const PYTHON_FACTS_SCRIPT = fileURLToPath(new URL("../facts/python-facts.py", import.meta.url));

const DEFAULT_TIMEOUT_MS = 30_000;

/** A distribution as the helper reports it: the recorded fields plus where its metadata folder is. */
export interface FoundDistribution extends PythonDistribution {
  /** The .dist-info or .egg-info folder (what a Debian package owns), or null when unknown. */
  metadataPath: string | null;
}

/** What the helper prints about the interpreter it runs under. */
export interface PythonFacts {
  executable: string;
  version: string;
  implementation: string;
  prefix: string;
  basePrefix: string;
  siteFolders: string[];
  distributions: FoundDistribution[];
}

export interface PythonFactsCall {
  /** The environment the interpreter runs with (PATH, VIRTUAL_ENV, PYTHONPATH...); default: mlx's own. */
  env?: Readonly<Record<string, string | undefined>>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs the helper under `pythonExecutable`; rejects with the interpreter's own words when it fails. */
export async function readPythonFacts(pythonExecutable: string, call: PythonFactsCall = {}): Promise<PythonFacts> {
  const { stdout } = await runProcessOrThrow(
    pythonExecutable,
    [PYTHON_FACTS_SCRIPT],
    {
      cwd: call.cwd ?? process.cwd(),
      // Asking must leave nothing behind: no __pycache__ folders in the user's environment.
      env: { ...call.env, PYTHONDONTWRITEBYTECODE: "1" },
      timeoutMs: call.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    },
    `${pythonExecutable} ${PYTHON_FACTS_SCRIPT}`,
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.toString("utf8"));
  } catch (error) {
    throw new Error(`${pythonExecutable} printed no facts as JSON: ${describeError(error)}`, { cause: error });
  }
  return validatePythonFacts(parsed);
}

/**
 * Every distribution installed for `pythonExecutable` (name, version, site folder, file count and
 * fingerprint), sorted by name. Compare name, version and fingerprint with the recorded ones to see
 * whether an environment changed. Debian owners are not looked up here (see probe-python.ts).
 */
export async function readPythonDistributions(pythonExecutable: string): Promise<PythonDistribution[]> {
  const facts = await readPythonFacts(pythonExecutable);
  return facts.distributions.map(({ metadataPath: _unused, ...recorded }) => recorded);
}

/** Narrows the helper's JSON; a wrong shape is an error naming the field. */
export function validatePythonFacts(value: unknown): PythonFacts {
  const object = (v: unknown, where: string): Record<string, unknown> => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`python facts: ${where} is not an object`);
    return v as Record<string, unknown>;
  };
  const text = (o: Record<string, unknown>, key: string, where: string): string => {
    const v = o[key];
    if (typeof v !== "string") throw new Error(`python facts: ${where}.${key} is not a string`);
    return v;
  };
  const count = (o: Record<string, unknown>, key: string, where: string): number => {
    const v = o[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new Error(`python facts: ${where}.${key} is not a count`);
    return v;
  };
  const top = object(value, "the answer");
  const list = (key: string): unknown[] => {
    const v = top[key];
    if (!Array.isArray(v)) throw new Error(`python facts: ${key} is not a list`);
    return v;
  };
  const distributions = list("distributions").map((d, i): FoundDistribution => {
    const where = `distributions[${i}]`;
    const o = object(d, where);
    const fingerprint = text(o, "fingerprint", where);
    if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw new Error(`python facts: ${where}.fingerprint is not a sha256`);
    return {
      name: text(o, "name", where),
      version: text(o, "version", where),
      location: text(o, "location", where),
      files: count(o, "files", where),
      fingerprint,
      metadataPath: typeof o["metadataPath"] === "string" ? o["metadataPath"] : null,
    };
  });
  const siteFolders = list("siteFolders").map((f, i) => {
    if (typeof f !== "string") throw new Error(`python facts: siteFolders[${i}] is not a string`);
    return f;
  });
  return {
    executable: text(top, "executable", "the answer"),
    version: text(top, "version", "the answer"),
    implementation: text(top, "implementation", "the answer"),
    prefix: text(top, "prefix", "the answer"),
    basePrefix: text(top, "basePrefix", "the answer"),
    siteFolders,
    distributions,
  };
}
