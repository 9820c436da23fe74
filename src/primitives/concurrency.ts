import { BadInputError } from "../errors.js";

/** How many runs may go at once, for every option and spec field that says so (--concurrency, concurrency:). */
export const MIN_CONCURRENCY = 1;
export const MAX_CONCURRENCY = 256;

/** Parses a concurrency given as text (`--concurrency 4`): a whole number from 1 to 256, else exit 2 naming `flag`. */
export function parseConcurrency(text: string, flag = "--concurrency"): number {
  const value = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(value >= MIN_CONCURRENCY && value <= MAX_CONCURRENCY)) {
    throw new BadInputError(
      `${flag} must be a whole number from ${MIN_CONCURRENCY} to ${MAX_CONCURRENCY}, got '${text}'`,
      `Example: ${flag} 2`,
    );
  }
  return value;
}

/** A default taken from the host (its number of cores), brought within the bounds. */
export function clampConcurrency(value: number): number {
  return Math.min(MAX_CONCURRENCY, Math.max(MIN_CONCURRENCY, Math.floor(value)));
}
