import type { GpuDevice, GpuInfo } from "../record/types.js";

/** The query mlx runs: one CSV line per GPU. */
export const NVIDIA_SMI_QUERY = ["--query-gpu=index,name,uuid,memory.total,driver_version", "--format=csv,noheader,nounits"];

/** Parses `nvidia-smi --query-gpu=index,name,uuid,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseGpuQuery(csv: string): { devices: GpuDevice[]; driver?: string } {
  const devices: GpuDevice[] = [];
  let driver: string | undefined;
  for (const line of csv
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)) {
    const cells = line.split(",").map((c) => c.trim());
    if (cells.length < 5) throw new Error(`unexpected nvidia-smi line: ${line}`);
    const [index, name, uuid, memory, drv] = cells as [string, string, string, string, string];
    const memoryMiB = Number.parseInt(memory, 10);
    devices.push({
      index: Number.parseInt(index, 10),
      name,
      ...(uuid && uuid !== "[N/A]" ? { uuid } : {}),
      memoryMiB: Number.isFinite(memoryMiB) ? memoryMiB : 0,
    });
    if (drv && drv !== "[N/A]") driver ??= drv;
  }
  return { devices, ...(driver ? { driver } : {}) };
}

/**
 * The CUDA version the driver supports, from the banner of plain `nvidia-smi`: "CUDA Version: 12.2",
 * or "CUDA UMD Version: 13.3" since driver 610 renamed it. Drivers before CUDA 8 print none.
 */
export function parseCudaVersion(banner: string): string | undefined {
  return /CUDA (?:UMD )?Version:\s*([\d.]+)/.exec(banner)?.[1];
}

/** The driver from the banner ("Driver Version", "KMD Version" since 610), when the query lacks it. */
export function parseDriverVersion(banner: string): string | undefined {
  return /(?:Driver|KMD) Version:\s*([\d.]+)/.exec(banner)?.[1];
}

export function gpuInfoFrom(queryCsv: string, banner: string): GpuInfo {
  const query = parseGpuQuery(queryCsv);
  const driver = query.driver ?? parseDriverVersion(banner);
  const cuda = parseCudaVersion(banner);
  return { devices: query.devices, ...(driver ? { driver } : {}), ...(cuda ? { cuda } : {}) };
}
