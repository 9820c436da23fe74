import type { Writable } from "node:stream";
import { prefixLines } from "./prefix-lines.js";

// C0 controls, DEL and C1 controls (ESC starts every terminal escape sequence; C1 CSI and OSC do the
// same on some terminals), and the Unicode characters that reorder or break what a reader sees.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escape(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
}

/**
 * Text from a bundle made safe to print: every control character becomes a visible escape (ESC ->
 * "\x1b"), so it can neither move the cursor, retitle the terminal nor clear the screen. Newlines and
 * tabs are kept (`multiline`); for one-line fields (names, paths, reasons) a newline is escaped too, so
 * that a value can never start a line of its own.
 */
export function sanitizeText(text: string, multiline = false): string {
  return text.replace(UNSAFE, (char) => (multiline && (char === "\n" || char === "\t") ? char : escape(char)));
}

/** One-line form: sanitizeText with newlines and tabs escaped too. */
export function sanitizeLine(text: string): string {
  return sanitizeText(text, false);
}

/** The mark before each line the container printed: it cannot be mistaken for a line of mlx's own. */
export const CONTAINER_LINE_MARK = "│ ";

/**
 * A stream that echoes the container's output to `target` line by line, each line sanitized and
 * behind `mark` (a carriage return is escaped too, so a line cannot overwrite the mark). The bytes
 * themselves go to the log files untouched.
 */
export function sanitizedLines(target: NodeJS.WritableStream, mark: string = CONTAINER_LINE_MARK): Writable {
  return prefixLines(mark, target, sanitizeLine);
}
