import { describeHost, describeProbed } from "../facts/describe-environment.js";
import type { RunManifest } from "../record/types.js";
export { formatBytes, formatMetric } from "../primitives/format.js";

/** Where and with what a run ran, as label/value rows: system, GPUs, runtimes, code, dependencies. */
export function environmentFacts(m: RunManifest): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ...describeHost(m),
    ["git", describeProbed(m.git, (g) => `${g.commit ?? "(no commits)"} on ${g.branch ?? "(detached)"}${g.dirty ? ", dirty" : ", clean"}`)],
  ];
  for (const l of m.dependencies?.lockfiles ?? []) rows.push(["lockfile", `${l.path} (sha256 ${l.sha256.slice(0, 12)})`]);
  if (m.dependencies)
    rows.push([
      "node packages",
      describeProbed(m.dependencies.nodeModules, (n) => `${n.count} installed, fingerprint ${n.fingerprint.slice(0, 12)}`),
    ]);
  if (m.python)
    rows.push([
      "python",
      describeProbed(
        m.python,
        (p) =>
          `${p.implementation} ${p.version} (${p.environment}); ${p.distributions.length} packages` +
          (p.torch ? `; torch ${p.torch.version}${p.torch.cuda ? ` CUDA ${p.torch.cuda}` : ""}` : ""),
      ),
    ]);
  return rows;
}
