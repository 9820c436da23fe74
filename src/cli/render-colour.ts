import pc from "picocolors";

export type Colours = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour what goes to a stream: NO_COLOR (any value) turns colour off, FORCE_COLOR (any
 * value but "0" or "false") turns it on, and otherwise a terminal gets colour unless TERM is "dumb".
 * See https://no-color.org and https://force-color.org.
 */
export function colourEnabled(env: NodeJS.ProcessEnv, isTty: boolean): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  return isTty && env["TERM"] !== "dumb";
}

/** picocolors for one stream: functions that add escape codes only when colour is enabled for it. */
export function coloursFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colours {
  return pc.createColors(colourEnabled(env, stream.isTTY === true));
}
