// Seeded draws for the samplers: the same (seed, stream) gives the same draws anywhere.
import generator from "../sdk/seeded-random.cjs";

/** mlx's seeded generator (the one the preload puts behind Math.random), one stream per trial index. */
export function seededRandom(seed: number, stream = 0): () => number {
  return generator.seededRandom((seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
}

/** A standard normal draw (Box-Muller). */
export function normal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
