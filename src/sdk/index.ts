// What a training script imports: `import { log, params, seed } from "mlx"`. Outside `mlx capture`
// these still work: log() does nothing, params() is {}, seed() is undefined.
import { appendFileSync } from "node:fs";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function encode(value: number): number | string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  return value;
}

/**
 * Records metrics: `log("loss", 0.41, step)` or `log({ loss: 0.41, accuracy: 0.9 }, step)`.
 * Appends one JSON line per value to the file named by MLX_METRICS_FILE.
 */
export function log(name: string, value: number, step?: number): void;
export function log(values: Record<string, number>, step?: number): void;
export function log(first: string | Record<string, number>, second?: number, third?: number): void {
  const file = process.env["MLX_METRICS_FILE"];
  if (!file) return;
  const entries = typeof first === "string" ? [[first, second] as const] : Object.entries(first);
  const step = typeof first === "string" ? third : second;
  const time = Date.now();
  const lines = entries
    .filter((entry): entry is readonly [string, number] => typeof entry[1] === "number")
    .map(([name, value]) => JSON.stringify({ name, value: encode(value), ...(step === undefined ? {} : { step }), time }) + "\n")
    .join("");
  if (lines) appendFileSync(file, lines);
}

/** The run's parameters (MLX_PARAMS), as given to `mlx capture` with --param, --params or a config. */
export function params<T extends Record<string, Json> = Record<string, Json>>(): T {
  const text = process.env["MLX_PARAMS"];
  return (text ? JSON.parse(text) : {}) as T;
}

/** The run's seed (MLX_SEED): given with --seed or drawn by mlx, always recorded. */
export function seed(): number | undefined {
  const text = process.env["MLX_SEED"];
  return text === undefined ? undefined : Number(text);
}
