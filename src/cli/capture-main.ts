import { registerCapture } from "./capture.js";
import { runProgram } from "./program.js";

/**
 * `mlx capture ...` alone: bin/mlx loads this entry (its own bundle, dist/cli/mlx-capture.mjs) when the
 * first argument is `capture`, so that everything the capture needs before the command starts is one
 * file, not the ~30 chunks the verbs share in dist/cli/mlx.mjs. Same program, same output as main().
 */
export function main(argv: string[]): Promise<number> {
  return runProgram(argv, async () => [registerCapture]);
}
