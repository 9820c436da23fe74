// One ranking of a search's trials, for the search itself and for its replay.

export type Direction = "maximize" | "minimize";

/** A metric value as a score where higher is better; NaN for anything that cannot rank (missing, NaN, a string). */
export function scoreOf(value: unknown, direction: Direction): number {
  if (typeof value !== "number" || Number.isNaN(value)) return NaN;
  return direction === "maximize" ? value : -value;
}

/**
 * The best of `candidates` by `value`: only finite scores rank (NaN and infinities are never best),
 * and a tie goes to the first candidate, so trials in index order give the lower index.
 */
export function bestBy<T>(candidates: readonly T[], value: (candidate: T) => unknown, direction: Direction): T | null {
  let best: T | null = null;
  let bestScore = -Infinity;
  for (const candidate of candidates) {
    const score = scoreOf(value(candidate), direction);
    if (Number.isFinite(score) && score > bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}
