import type { DriftRow, RunManifest, SystemInfo, GpuInfo, Probed } from "../record/types.js";

export type { DriftRow };

export interface HostFacts {
  system: Probed<SystemInfo>;
  gpus: Probed<GpuInfo>;
  docker: string | undefined;
  imageId: string;
}

const show = <T extends object>(p: Probed<T> | undefined, f: (v: T) => string): string =>
  !p ? "not probed" : p.available ? f(p as T) : `none (${p.reason.split(":")[0]})`;

/** The two hosts side by side: what differs may explain a divergence. */
export function compareEnvironments(run: RunManifest, originalImageId: string, replay: HostFacts): DriftRow[] {
  const rows: Array<[string, string, string]> = [
    ["cpu", show(run.system, (s) => s.cpu.model), show(replay.system, (s) => s.cpu.model)],
    ["cores", show(run.system, (s) => String(s.cpu.cores)), show(replay.system, (s) => String(s.cpu.cores))],
    [
      "memory",
      show(run.system, (s) => `${Math.round(s.memoryBytes / 2 ** 30)} GiB`),
      show(replay.system, (s) => `${Math.round(s.memoryBytes / 2 ** 30)} GiB`),
    ],
    ["kernel", show(run.system, (s) => s.release), show(replay.system, (s) => s.release)],
    [
      "gpu",
      show(run.gpus, (g) => g.devices.map((d) => d.name).join(", ") || "none"),
      show(replay.gpus, (g) => g.devices.map((d) => d.name).join(", ") || "none"),
    ],
    ["driver", show(run.gpus, (g) => g.driver ?? "-"), show(replay.gpus, (g) => g.driver ?? "-")],
    ["cuda", show(run.gpus, (g) => g.cuda ?? "-"), show(replay.gpus, (g) => g.cuda ?? "-")],
    ["docker", run.runtimes?.docker ?? "not used", replay.docker ?? "unknown"],
    ["image", `${originalImageId.slice(0, 19)} (packed)`, replay.imageId.slice(0, 19)],
  ];
  return rows.map(([what, original, replayed]) => ({
    what,
    original,
    replay: replayed,
    same: original === replayed || (what === "image" && originalImageId === replay.imageId),
  }));
}
