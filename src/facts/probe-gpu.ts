import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { GpuInfo } from "../record/types.js";
import { gpuInfoFrom, NVIDIA_SMI_QUERY } from "./parse-nvidia-smi.js";
import { findOnPath } from "./probe.js";

const run = promisify(execFile);

/** NVIDIA GPUs, driver and CUDA version from nvidia-smi; a clear reason when there is none. */
export async function probeGpus(timeoutMs: number): Promise<GpuInfo> {
  const smi = await findOnPath("nvidia-smi");
  if (!smi) throw new Error("nvidia-smi not found on PATH: no NVIDIA driver on this host");
  const [query, banner] = await Promise.all([
    run(smi, NVIDIA_SMI_QUERY, { timeout: timeoutMs }),
    run(smi, [], { timeout: timeoutMs }),
  ]);
  return gpuInfoFrom(query.stdout, banner.stdout);
}
