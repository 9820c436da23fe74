import { describe, expect, it } from "vitest";
import { parseDistribution } from "./distribution.js";
import { gridParams, gridSize, type Observation, randomParams, type Space } from "./samplers.js";
import { tpeParams } from "./tpe.js";

const space = (entries: Record<string, string>): Space => Object.entries(entries).map(([k, v]) => [k, parseDistribution(v, k)] as const);

describe("grid", () => {
  const s = space({ hidden: "choice([8, 16])", act: "choice(['relu', 'tanh', 'gelu'])" });

  it("walks the Cartesian product in order, the last parameter fastest, wrapping after the end", () => {
    expect(Array.from({ length: 7 }, (_, i) => gridParams(s, i))).toEqual([
      { hidden: 8, act: "relu" },
      { hidden: 8, act: "tanh" },
      { hidden: 8, act: "gelu" },
      { hidden: 16, act: "relu" },
      { hidden: 16, act: "tanh" },
      { hidden: 16, act: "gelu" },
      { hidden: 8, act: "relu" },
    ]);
    expect(gridSize(s)).toBe(6);
  });

  it("states the size of an exploding grid instead of enumerating it", () => {
    const huge = space(
      Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, `choice([${Array.from({ length: 100 }, (_, j) => j).join(",")}])`])),
    );
    expect(() => gridParams(huge, 0)).toThrow(/the grid has 1\.00e\+16 points/);
  });

  it("refuses continuous parameters", () => {
    expect(() => gridParams(space({ lr: "uniform(0, 1)" }), 0)).toThrow(/sampler grid needs choice\(\)/);
  });
});

describe("random", () => {
  const s = space({ lr: "loguniform(1e-4, 0.1)", epochs: "randint(10, 50)", drop: "quniform(0, 0.5, 0.1)", opt: "choice(['a','b'])" });

  it("gives the same params for the same seed and trial, in any order, and stays inside the space", () => {
    const a = Array.from({ length: 50 }, (_, i) => randomParams(s, 7, i));
    const b = Array.from({ length: 50 }, (_, i) => 49 - i)
      .map((i) => randomParams(s, 7, i))
      .reverse();
    expect(b).toEqual(a);
    expect(randomParams(s, 8, 0)).not.toEqual(a[0]);
    for (const p of a) {
      expect(p.lr).toBeGreaterThanOrEqual(1e-4);
      expect(p.lr).toBeLessThanOrEqual(0.1);
      expect(Number.isInteger(p.epochs) && (p.epochs as number) >= 10 && (p.epochs as number) <= 50).toBe(true);
      expect([0, 0.1, 0.2, 0.3, 0.4, 0.5]).toContain(p.drop);
    }
    expect(new Set(a.map((p) => p.epochs)).size).toBeGreaterThan(10);
  });
});

describe("tpe", () => {
  // A 2-D bowl, maximised: the best is 0 at (0.3, -0.2).
  const bowl = (p: Record<string, unknown>): number => -(((p.x as number) - 0.3) ** 2 + ((p.y as number) + 0.2) ** 2);
  const s = space({ x: "uniform(-1, 1)", y: "uniform(-1, 1)" });
  const bestAfter = (sample: (i: number, seen: Observation[]) => Record<string, number | string | boolean>, n = 30): number => {
    const seen: Observation[] = [];
    for (let i = 0; i < n; i++) {
      const params = sample(i, seen);
      seen.push({ params, score: bowl(params) });
    }
    return Math.max(...seen.map((o) => o.score));
  };
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

  it("beats random search on the median best after 30 trials over 20 seeds", () => {
    const seeds = Array.from({ length: 20 }, (_, i) => 1000 + i);
    const tpe = median(seeds.map((seed) => bestAfter((i, seen) => tpeParams(s, seed, i, seen))));
    const random = median(seeds.map((seed) => bestAfter((i) => randomParams(s, seed, i))));
    expect(tpe).toBeGreaterThan(random);
  });

  it("is reproducible from its seed and the observations, and leaves failed trials out", () => {
    const seen: Observation[] = Array.from({ length: 12 }, (_, i) => ({
      params: randomParams(s, 3, i),
      score: i === 4 ? NaN : bowl(randomParams(s, 3, i)),
    }));
    expect(tpeParams(s, 3, 12, seen)).toEqual(tpeParams(s, 3, 12, seen));
    const p = tpeParams(s, 3, 12, seen);
    expect(p.x).toBeGreaterThanOrEqual(-1);
    expect(p.x).toBeLessThanOrEqual(1);
    expect(tpeParams(s, 3, 5, seen.slice(0, 5))).toEqual(randomParams(s, 3, 5)); // before startup: random
  });

  it("samples choices and integers inside their space", () => {
    const mixed = space({ h: "choice([8, 16, 32])", e: "randint(1, 5)", q: "quniform(0, 1, 0.25)", lr: "loguniform(1e-3, 1)" });
    const seen: Observation[] = Array.from({ length: 15 }, (_, i) => {
      const params = randomParams(mixed, 1, i);
      return { params, score: (params.h === 16 ? 1 : 0) + (params.e as number) / 10 };
    });
    const p = tpeParams(mixed, 1, 15, seen);
    expect([8, 16, 32]).toContain(p.h);
    expect([1, 2, 3, 4, 5]).toContain(p.e);
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(p.q);
    expect(p.lr as number).toBeGreaterThanOrEqual(1e-3);
  });
});
