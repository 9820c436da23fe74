import { type Register, runProgram } from "./program.js";

export type { CommandAction } from "./program.js";

/**
 * Each verb's module, loaded only when needed: `mlx capture` parses and links the capture verb alone,
 * not pack's and replay's renderers (start-up is most of what a short capture costs). Help order.
 */
const VERBS: Record<string, () => Promise<Register>> = {
  capture: async () => (await import("./capture.js")).registerCapture,
  ls: async () => (await import("./ls.js")).registerLs,
  show: async () => (await import("./show.js")).registerShow,
  pack: async () => (await import("./pack.js")).registerPack,
  replay: async () => (await import("./replay.js")).registerReplay,
  report: async () => (await import("./report.js")).registerReport,
  "base-image": async () => (await import("./base-image.js")).registerBaseImage,
  diff: async () => (await import("./diff.js")).registerDiff,
  tag: async () => (await import("./tag.js")).registerTag,
  rm: async () => (await import("./rm.js")).registerRm,
};

/** The verbs to register for argv: the one it names first, none for the version alone, else every verb (help, a typo). */
export function verbsFor(argv: readonly string[]): string[] {
  const first = argv[0];
  if (first !== undefined && Object.hasOwn(VERBS, first)) return [first];
  return argv.length === 1 && (first === "-V" || first === "--version") ? [] : Object.keys(VERBS);
}

/** Parses argv, runs one command, maps errors to exit codes (DESIGN.md): 2 bad input, 3 environment, 70 bug. */
export function main(argv: string[]): Promise<number> {
  return runProgram(argv, () => Promise.all(verbsFor(argv).map((verb) => VERBS[verb]!())));
}
