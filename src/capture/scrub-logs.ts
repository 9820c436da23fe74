import { createReadStream, createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { tempPathFor } from "../primitives/write-atomic.js";

/** Secrets shorter than this are not scrubbed: "1" or "abc" would rewrite half a log. */
export const MIN_SCRUBBED_CHARS = 4;

/**
 * Replaces every occurrence of `secrets` in the file at `path` with `mask`, streaming (a log may be
 * large) through a temp file renamed over it. Returns how many were replaced; the file is untouched
 * when none was. A secret cut across two reads is still found: the last bytes of each read are held
 * back until the next one.
 */
export async function scrubFile(path: string, secrets: readonly string[], mask = "***"): Promise<number> {
  const needles = [...new Set(secrets)].filter((s) => s.length >= MIN_SCRUBBED_CHARS).map((s) => Buffer.from(s));
  if (needles.length === 0) return 0;
  const hold = Math.max(...needles.map((n) => n.length)) - 1;
  const replacement = Buffer.from(mask);
  const temp = tempPathFor(path);
  const out = createWriteStream(temp, { flags: "wx", mode: 0o644 });
  let count = 0;
  let carry = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(path)) {
      let data = Buffer.concat([carry, chunk as Buffer]);
      for (const needle of needles) {
        const parts: Buffer[] = [];
        let from = 0;
        for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, from)) {
          parts.push(data.subarray(from, at), replacement);
          from = at + needle.length;
          count++;
        }
        if (from > 0) data = Buffer.concat([...parts, data.subarray(from)]);
      }
      const keep = Math.min(hold, data.length);
      if (!out.write(data.subarray(0, data.length - keep))) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      carry = data.subarray(data.length - keep);
    }
    await new Promise<void>((resolve, reject) => out.end(carry, () => resolve()).once("error", reject));
    if (count > 0) await rename(temp, path);
    return count;
  } finally {
    out.destroy();
    await rm(temp, { force: true });
  }
}
