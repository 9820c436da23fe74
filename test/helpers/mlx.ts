import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Options, type Result } from "execa";

export const MLX_BIN = new URL("../../bin/mlx", import.meta.url).pathname;
export const FIXTURES = new URL("../fixtures/", import.meta.url).pathname;

/** Runs the built mlx as a user would; never throws on a non-zero exit. */
export function runMlx(args: readonly string[], options: Options = {}): Promise<Result> {
  const stdin = options.input === undefined && options.inputFile === undefined ? { stdin: "ignore" as const } : {};
  return execa(MLX_BIN, args, { reject: false, ...stdin, ...options }) as Promise<Result>;
}

/** A temp folder removed by `await using`. */
export async function tempDir(prefix = "mlx-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}
