import { coloursFor } from "./render-colour.js";
import { ProgressRenderer } from "./render-progress.js";

/**
 * The progress of a command on stderr: bars at a terminal, one line per finished step elsewhere,
 * nothing with --quiet. Colour follows stderr, NO_COLOR and FORCE_COLOR.
 */
export function stderrProgress(quiet: boolean, env: NodeJS.ProcessEnv = process.env): ProgressRenderer {
  return new ProgressRenderer(process.stderr, { quiet, colours: coloursFor(process.stderr, env) });
}
