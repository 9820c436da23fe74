import { randomBytes } from "node:crypto";
import { BadInputError } from "../errors.js";

export const MAX_SEED = 0xffff_ffff;

/** Parses `--seed` text: a whole number 0...2^32-1, nothing else. */
export function parseSeed(text: string, where = "--seed"): number {
  const t = text.trim();
  const value = /^\d{1,10}$/.test(t) ? Number(t) : NaN;
  if (!Number.isInteger(value) || value > MAX_SEED) {
    throw new BadInputError(`${where} must be a whole number from 0 to ${MAX_SEED}, got '${text}'`, "Example: --seed 42");
  }
  return value;
}

/** Checks a seed from a config file, where YAML already made it a number. */
export function validateSeedValue(value: unknown, where: string): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_SEED) return value;
  if (typeof value === "string") return parseSeed(value, where);
  throw new BadInputError(`${where} must be a whole number from 0 to ${MAX_SEED}, got ${JSON.stringify(value)}`, "Example: seed: 42");
}

export function drawSeed(): number {
  return randomBytes(4).readUInt32BE(0);
}
