// One line each for where a run ran (system, GPUs, runtimes), as `mlx show` and the HTML report print them.
import { formatBytes } from "../primitives/format.js";
import type { Probed, RunManifest } from "../record/types.js";

/** A probed fact, or why it is missing. */
export function describeProbed<T extends object>(p: Probed<T> | undefined, render: (value: T) => string): string {
  if (!p) return "not probed";
  return p.available ? render(p as T) : `unavailable: ${p.reason}`;
}

/** system, gpus and runtimes rows, label first. */
export function describeHost(m: RunManifest): Array<[string, string]> {
  return [
    [
      "system",
      describeProbed(
        m.system,
        (s) => `${s.distro}, ${s.os} ${s.release} ${s.arch}; ${s.cpu.model} x${s.cpu.cores}; ${formatBytes(s.memoryBytes)}`,
      ),
    ],
    [
      "gpus",
      describeProbed(m.gpus, (g) =>
        g.devices.length === 0
          ? "none"
          : `${g.devices.map((d) => `${d.name} ${d.memoryMiB} MiB`).join(", ")}; driver ${g.driver ?? "?"}, CUDA ${g.cuda ?? "?"}`,
      ),
    ],
    [
      "runtimes",
      Object.entries(m.runtimes ?? {})
        .filter(([k]) => k !== "missing")
        .map(([k, v]) => `${k} ${String(v)}`)
        .join(", ") || "none recorded",
    ],
  ];
}
