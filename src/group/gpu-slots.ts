// GPUs per trial on one host: each running trial gets its own CUDA_VISIBLE_DEVICES, and no GPU is
// ever handed out beyond its share. Fractions below 1 share a GPU (0.5: two trials on each, as Ray
// counts fractional GPUs); 1 or more must be whole GPUs.
import { BadInputError, EnvironmentError } from "../errors.js";

export interface GpuSlots {
  /** How many trials can hold GPUs at once. */
  readonly capacity: number;
  /** The device indices for one more trial, or null when none are free. */
  acquire(): readonly number[] | null;
  release(devices: readonly number[]): void;
}

/** Trials per GPU for a fraction below 1, with a little slack for decimal fractions (0.1 * 10 = 0.999...). */
function sharesPerGpu(gpusPerTrial: number): number {
  return gpusPerTrial >= 1 ? 1 : Math.floor(1 / gpusPerTrial + 1e-9);
}

/** Checks `gpus_per_trial` on its own: positive, and whole when 1 or more. */
export function validateGpusPerTrial(value: number, where: string): number {
  if (!Number.isFinite(value) || value < 0 || (value >= 1 && !Number.isInteger(value))) {
    throw new BadInputError(
      `${where}: gpus_per_trial ${value} is not a fraction below 1 or a whole number`,
      "Give e.g. 0.5 (two trials share a GPU), 1, or 2.",
    );
  }
  return value;
}

/**
 * Slots over the GPUs the probe found. `why` says why there are none (the probe's reason), for the error.
 * Whole GPUs go lowest index first; a fraction goes to the least used GPU, spreading trials out.
 */
export function createGpuSlots(devices: readonly number[], gpusPerTrial: number, why: string): GpuSlots {
  if (devices.length === 0) {
    throw new EnvironmentError(
      `gpus_per_trial is ${gpusPerTrial} but this host has no GPU (${why})`,
      "Run the search on a host with NVIDIA GPUs (nvidia-smi on PATH), or remove gpus_per_trial.",
    );
  }
  if (gpusPerTrial > devices.length) {
    throw new BadInputError(
      `gpus_per_trial is ${gpusPerTrial} but this host has ${devices.length} GPU(s) (${devices.join(", ")})`,
      `Ask for at most ${devices.length}.`,
    );
  }
  const shares = sharesPerGpu(gpusPerTrial);
  const used = new Map(devices.map((d) => [d, 0]));
  const whole = Math.max(1, Math.round(gpusPerTrial));
  return {
    capacity: gpusPerTrial >= 1 ? Math.floor(devices.length / whole) : devices.length * shares,
    acquire() {
      if (gpusPerTrial >= 1) {
        const free = devices.filter((d) => used.get(d) === 0).slice(0, whole);
        if (free.length < whole) return null;
        for (const d of free) used.set(d, 1);
        return free;
      }
      const least = [...devices].sort((a, b) => used.get(a)! - used.get(b)! || a - b)[0]!;
      if (used.get(least)! >= shares) return null;
      used.set(least, used.get(least)! + 1);
      return [least];
    },
    release(given) {
      for (const d of given) used.set(d, Math.max(0, (used.get(d) ?? 0) - 1));
    },
  };
}

/** The variable a trial gets: its devices, comma-separated, as CUDA numbers them. */
export function cudaVisibleDevices(devices: readonly number[]): Record<string, string> {
  return { CUDA_VISIBLE_DEVICES: devices.join(",") };
}
