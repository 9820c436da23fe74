// What an image really holds, read by a short run of its interpreter in the image itself: the Python
// version, the key numeric packages, torch's build facts and the thread settings of the image's own
// environment; or the node version and the lockfiles' digests. Pack runs it in the image it built
// (it is also the check that the interpreter starts) and records the facts in bundle.yaml; replay
// compares them, with the environment it gives the container, against the run's record.

import { KEY_PYTHON_PACKAGES, THREAD_VARIABLES, type ImageRuntime } from "./environment-drift.js";

/**
 * Lists installed distributions through importlib.metadata and reads torch's version.py as text:
 * importing torch would take seconds. Prints one JSON line.
 */
const PYTHON_PROBE = `
import sys
sys.path[:] = [p for p in sys.path if p not in ("", ".")]  # the code's own files must not shadow the modules below
import json, os, platform
ask = json.loads(sys.argv[1])
out = {"python": platform.python_version(), "packages": {}, "env": dict((k, os.environ.get(k)) for k in ask["env"])}
try:
    from importlib import metadata
    for d in metadata.distributions():
        name = (d.metadata["Name"] or "").lower().replace("_", "-").replace(".", "-")
        if name in ask["packages"] or name.startswith("nvidia-cudnn"):
            out["packages"].setdefault(name, d.version)
except Exception:
    pass
try:
    from importlib import util
    spec = util.find_spec("torch")
    folder = list(spec.submodule_search_locations or [])[0] if spec else None
    if folder:
        import re
        text = open(os.path.join(folder, "version.py")).read()
        value = lambda k: (re.search(r"^" + k + r"\\s*(?::[^=]*)?=\\s*[\\x27\\x22]([^\\x27\\x22]*)", text, re.M) or [None, None])[1]
        out["torch"] = {"version": value("__version__"), "cuda": value("cuda")}
except Exception:
    pass
print(json.dumps(out))
`;

const NODE_PROBE = `
const fs = require("fs"), crypto = require("crypto");
const ask = JSON.parse(process.argv[1]);
const lockfiles = {};
for (const p of ask.lockfiles) {
  try { lockfiles[p] = crypto.createHash("sha256").update(fs.readFileSync(ask.app + "/" + p)).digest("hex"); } catch { lockfiles[p] = null; }
}
const env = Object.fromEntries(ask.env.map((k) => [k, process.env[k] ?? null]));
console.log(JSON.stringify({ node: process.versions.node, lockfiles, env }));
`;

export interface RuntimeProbePlan {
  readonly kind: "python" | "node";
  /** The interpreter to run: the recorded command's own (python3.11, node). */
  readonly interpreter: string;
  /** Lockfiles relative to the repository root, for node. */
  readonly lockfiles: readonly string[];
  /** Where the repository root is in the image. */
  readonly appDir: string;
}

/** The command line that prints the image's facts as one JSON line (exit 0 whenever the interpreter starts). */
export function runtimeProbeArgv(plan: RuntimeProbePlan): string[] {
  if (plan.kind === "python")
    return [plan.interpreter, "-c", PYTHON_PROBE, JSON.stringify({ packages: KEY_PYTHON_PACKAGES, env: THREAD_VARIABLES })];
  return [plan.interpreter, "-e", NODE_PROBE, JSON.stringify({ lockfiles: plan.lockfiles, app: plan.appDir, env: THREAD_VARIABLES })];
}

const text = (v: unknown): string | null => (typeof v === "string" ? v.slice(0, 200) : null);

function textMap(v: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) return out;
  for (const [k, value] of Object.entries(v).slice(0, 100)) out[k.slice(0, 100)] = text(value);
  return out;
}

/** The probe's last line, read as untrusted JSON (the image is the bundle's): only strings, cut short. */
export function parseImageRuntime(output: string): ImageRuntime | null {
  const last = output.trim().split("\n").at(-1) ?? "";
  let raw: unknown;
  try {
    raw = JSON.parse(last);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const torch = typeof r["torch"] === "object" && r["torch"] !== null ? (r["torch"] as Record<string, unknown>) : null;
  const packages = textMap(r["packages"]);
  return {
    python: text(r["python"]),
    node: text(r["node"]),
    packages: Object.fromEntries(Object.entries(packages).filter((e): e is [string, string] => e[1] !== null)),
    torch: torch && text(torch["version"]) ? { version: text(torch["version"])!, cuda: text(torch["cuda"]) } : null,
    lockfiles: textMap(r["lockfiles"]),
    env: textMap(r["env"]),
  };
}
