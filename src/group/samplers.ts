import { BadInputError } from "../errors.js";
import type { Distribution } from "./distribution.js";
import { seededRandom } from "./prng.js";

export type ParamValue = number | string | boolean;
export type Params = Record<string, ParamValue>;
export type Space = ReadonlyArray<readonly [string, Distribution]>;

/** A finished trial as a sampler sees it: its params and its objective (higher is better; NaN = failed). */
export interface Observation {
  params: Params;
  score: number;
}

export const MAX_GRID_POINTS = 1_000_000;

/** Draws one value of a distribution. */
export function drawFrom(dist: Distribution, random: () => number): ParamValue {
  switch (dist.kind) {
    case "choice":
      return dist.values[Math.floor(random() * dist.values.length)]!;
    case "uniform":
      return dist.low + random() * (dist.high - dist.low);
    case "loguniform":
      return Math.exp(Math.log(dist.low) + random() * (Math.log(dist.high) - Math.log(dist.low)));
    case "randint":
      return dist.low + Math.floor(random() * (dist.high - dist.low + 1));
    case "quniform":
      return roundTo(dist.low + random() * (dist.high - dist.low), dist.q);
  }
}

export function roundTo(x: number, q: number): number {
  return Number((Math.round(x / q) * q).toPrecision(12));
}

/** Random search: trial i's params depend only on (seed, i), whatever order trials finish in. */
export function randomParams(space: Space, seed: number, index: number): Params {
  const random = seededRandom(seed, index);
  return Object.fromEntries(space.map(([name, dist]) => [name, drawFrom(dist, random)]));
}

/** The values a grid takes for one parameter: a choice's values, or a randint's whole range. */
function gridValues(name: string, dist: Distribution): ReadonlyArray<ParamValue> {
  if (dist.kind === "choice") return dist.values;
  if (dist.kind === "randint" && dist.high - dist.low < MAX_GRID_POINTS)
    return Array.from({ length: dist.high - dist.low + 1 }, (_, i) => dist.low + i);
  throw new BadInputError(
    `sampler grid needs choice() (or randint()) parameters; ${name} is ${dist.kind}()`,
    "Use sampler: random or tpe for continuous parameters, or list values with choice([...]).",
  );
}

/** The grid's size, computed before anything is enumerated (a space of 10^16 points must never be listed). */
export function gridSize(space: Space): number {
  return space.reduce((n, [name, dist]) => n * gridValues(name, dist).length, 1);
}

/** The i-th point of the Cartesian product, the last parameter varying fastest; no enumeration, flat memory. */
export function gridParams(space: Space, index: number): Params {
  const size = gridSize(space);
  if (size > MAX_GRID_POINTS) {
    throw new BadInputError(
      `the grid has ${size.toExponential(2)} points (more than ${MAX_GRID_POINTS})`,
      "Use fewer choices, sampler: random, or sampler: tpe.",
    );
  }
  const params: Params = {};
  let rest = index % size;
  for (let p = space.length - 1; p >= 0; p--) {
    const [name, dist] = space[p]!;
    const values = gridValues(name, dist);
    params[name] = values[rest % values.length]!;
    rest = Math.floor(rest / values.length);
  }
  return Object.fromEntries(space.map(([name]) => [name, params[name]!]));
}
