import { access, constants } from "node:fs/promises";
import { describeError } from "../errors.js";
import type { Probed } from "../record/types.js";

/**
 * Runs a probe with a time limit. A probe that throws or is too slow becomes
 * `{ available: false, reason }`: probes degrade, they never abort a run.
 */
export async function probe<T extends object>(what: string, timeoutMs: number, fn: () => Promise<T>): Promise<Probed<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Probed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ available: false, reason: `${what} probe timed out after ${timeoutMs} ms` }), timeoutMs);
    timer.unref();
  });
  const attempt = fn().then(
    (value): Probed<T> => ({ available: true, ...value }),
    (error: unknown): Probed<T> => ({ available: false, reason: describeError(error) }),
  );
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Finds an executable on a PATH (":"-separated folders) without spawning anything; undefined when absent. */
export async function findOnPath(name: string, pathVar: string | undefined): Promise<string | undefined> {
  for (const dir of (pathVar ?? "").split(":").filter(Boolean)) {
    const candidate = `${dir}/${name}`;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
