import { BadInputError } from "../errors.js";

/** The smallest memory limit the engine accepts for a container. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;
/** The default time limit is ten times the recorded run, and never under ten minutes. */
export const MIN_DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Checks the reviewer's --cpus and --memory against this host before anything is extracted or loaded.
 * Zero is refused, not read as "unlimited": a limit is always set.
 */
export function validateLimits(
  limits: { cpus: number; memoryBytes: number },
  host: { cores: number; memoryBytes: number },
): { cpus: number; memoryBytes: number } {
  const { cpus, memoryBytes } = limits;
  if (!(Number.isFinite(cpus) && cpus > 0 && cpus <= host.cores))
    throw new BadInputError(`--cpus must be more than 0 and at most this host's ${host.cores} cores, got ${cpus}`, "Example: --cpus 2");
  if (!(Number.isInteger(memoryBytes) && memoryBytes >= MIN_MEMORY_BYTES && memoryBytes <= host.memoryBytes))
    throw new BadInputError(
      `--memory must be at least 6MiB and at most this host's ${host.memoryBytes} bytes, got ${memoryBytes} bytes`,
      "Example: --memory 4GiB",
    );
  return { cpus, memoryBytes };
}

/** --timeout when not given: ten times the recorded duration, at least ten minutes. */
export function defaultTimeoutMs(recordedDurationMs: number | undefined): number {
  return Math.max(MIN_DEFAULT_TIMEOUT_MS, 10 * (recordedDurationMs ?? 0));
}
