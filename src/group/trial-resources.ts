// What a search takes from its host and executor for each trial: GPU slots, and placements as recorded.
import type { GroupTrial } from "../record/types.js";
import type { TrialPlacement } from "./executor.js";
import { createGpuSlots, type GpuSlots } from "./gpu-slots.js";

export interface HostGpus {
  /** The GPUs of this host, for gpus_per_trial: device indices, or why there are none. */
  probeGpus?: () => Promise<{ devices: number[]; reason: string }>;
  host: { env: Readonly<Record<string, string | undefined>> };
}

/** A placement as the record holds it (plain arrays and objects). */
export function recordedPlacement(given: TrialPlacement): NonNullable<GroupTrial["placement"]> {
  return {
    executor: given.executor,
    ...(given.jobId === undefined ? {} : { jobId: given.jobId }),
    ...(given.nodes === undefined ? {} : { nodes: [...given.nodes] }),
    ...(given.allocation === undefined ? {} : { allocation: { ...given.allocation } }),
  };
}

/** Slots over this host's GPUs (the GPU probe unless deps give one); the errors say what to change. */
export async function gpuSlots(gpusPerTrial: number, deps: HostGpus): Promise<GpuSlots> {
  const probe =
    deps.probeGpus ??
    (async () => {
      const { probeGpus } = await import("../facts/probe-gpu.js");
      return probeGpus(5000, deps.host.env["PATH"]).then(
        (info) => ({ devices: info.devices.map((d) => d.index), reason: "nvidia-smi lists none" }),
        (error: unknown) => ({ devices: [], reason: error instanceof Error ? error.message : String(error) }),
      );
    });
  const found = await probe();
  return createGpuSlots(found.devices, gpusPerTrial, found.reason);
}
