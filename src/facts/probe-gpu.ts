import type { GpuInfo } from "../record/types.js";
import { runProcessOrThrow } from "../primitives/run-process.js";
import { gpuInfoFrom, NVIDIA_SMI_QUERY } from "./parse-nvidia-smi.js";
import { findOnPath } from "./probe.js";

/**
 * NVIDIA GPUs, driver and CUDA version from nvidia-smi, looked for on `pathVar`; a clear reason when there is none.
 */
export async function probeGpus(timeoutMs: number, pathVar: string | undefined): Promise<GpuInfo> {
  const smi = await findOnPath("nvidia-smi", pathVar);
  if (!smi) throw new Error("nvidia-smi not found on PATH: no NVIDIA driver on this host");
  const call = { cwd: "/", timeoutMs };
  const [query, banner] = await Promise.all([
    runProcessOrThrow(smi, NVIDIA_SMI_QUERY, call, "nvidia-smi --query-gpu"),
    runProcessOrThrow(smi, [], call, "nvidia-smi"),
  ]);
  return gpuInfoFrom(query.stdout.toString("utf8"), banner.stdout.toString("utf8"));
}
