import { describe, expect, test } from 'vitest';
import { Random } from '../../src/runtime/tensor.ts';
import type { Config } from '../../src/dsl/spec.ts';
import { configKey, resolveSpace, type ConfigSpace, type ProductSpace } from '../../src/autotune/space.ts';
import { strategies, type SearchContext } from '../../src/autotune/strategies.ts';

/** The seeded uniform draws the tuner gives strategies. */
function seeded(seed: number): () => number {
  const rng = new Random(seed);
  return () => rng.next();
}

const space = (params: ProductSpace['params'], where?: ProductSpace['where']): ConfigSpace =>
  resolveSpace({ params, where }, { values: {}, dtypes: [] });

/**
 * A tuner over a cost function: like the real one, it answers a config asked again from what it knows (at no
 * cost) and answers undefined once the count budget is spent.
 */
function fakeTuner(s: ConfigSpace, cost: (config: Config) => number | undefined, budget = Infinity, seed = 1) {
  const measured = new Map<string, number | undefined>();
  const batches: Config[][] = [];
  const context: SearchContext = {
    space: s,
    random: seeded(seed),
    budget: budget === Infinity ? {} : { configs: budget },
    exhausted: () => measured.size >= budget,
    evaluate(configs) {
      expect(measured.size, 'asked after the budget was spent').toBeLessThan(budget);
      batches.push([...configs]);
      return configs.map((c) => {
        const key = configKey(c);
        expect(s.has(c), `${key} is not in the space`).toBe(true);
        if (!measured.has(key)) {
          if (measured.size >= budget) return undefined;
          measured.set(key, cost(c));
        }
        return measured.get(key);
      });
    },
  };
  const asked = () => batches.flat().map(configKey);
  const best = () => {
    let found: { key: string; cost: number } | undefined;
    for (const [key, c] of measured) if (c !== undefined && (!found || c < found.cost)) found = { key, cost: c };
    return found;
  };
  return { context, measured, batches, asked, best };
}

const names = Object.keys(strategies);

// 16 x 16 x 4 x 4 = 4096 configs.
const big = space({
  BLOCK_M: [...Array(16).keys()].map((i) => 16 * (i + 1)),
  BLOCK_N: [...Array(16).keys()].map((i) => 8 * (i + 1)),
  GROUP: [1, 2, 4, 8],
  numWarps: [1, 2, 4, 8],
});
const bigNames = ['BLOCK_M', 'BLOCK_N', 'GROUP', 'numWarps'];

/** A separable quadratic in the positions of the named parameters' choices, 1 at `opt` (positions in order). */
const quadratic = (s: ConfigSpace, opt: readonly number[]) => (config: Config) =>
  1 + bigNames.reduce((sum, name, i) => sum + (i + 1) * (s.dimensions.find((d) => d.name === name)!.choices.indexOf(config[name]!) - opt[i]!) ** 2, 0);

test('every strategy has its name and a one-line description', () => {
  expect(names).toEqual(expect.arrayContaining(['exhaustive', 'random', 'guided']));
  for (const [name, s] of Object.entries(strategies)) {
    expect(s.name).toBe(name);
    expect(s.description).toMatch(/^[^\n]+$/);
  }
});

test('exhaustive measures every config once, in the space order, and finds the global optimum', () => {
  const s = space({ a: [1, 2, 3, 4, 5, 6], b: [1, 2, 3, 4, 5, 6] }, (c) => (c.a as number) + (c.b as number) !== 7);
  const tuner = fakeTuner(s, (c) => 1 + ((c.a as number) - 3) ** 2 + ((c.b as number) - 5) ** 2);
  strategies.exhaustive!.search(tuner.context);
  expect(tuner.asked()).toEqual(s.configs.map(configKey));
  expect(tuner.best()!.cost).toBe(1);
});

test('random stays within the budget and never asks for a config twice', () => {
  const tuner = fakeTuner(big, quadratic(big, [3, 4, 1, 2]), 40, 7);
  strategies.random!.search(tuner.context);
  expect(tuner.measured.size).toBe(40);
  const asked = tuner.asked();
  expect(new Set(asked).size).toBe(asked.length);
  // It stops at the end of the batch in which the budget ran out.
  expect(asked.length).toBeLessThan(40 + 16);
});

describe('guided', () => {
  const optima = [
    [0, 0, 0, 0],
    [15, 15, 3, 3],
    [5, 11, 2, 1],
    [9, 2, 0, 3],
    [12, 7, 1, 2],
  ];
  test.each([1, 2, 3, 42, 1234])('finds the exact optimum of a smooth 4096-config space within 40 configs, the default budget (seed %i)', (seed) => {
    for (const opt of optima) {
      const tuner = fakeTuner(big, quadratic(big, opt), 40, seed);
      strategies.guided!.search(tuner.context);
      expect(tuner.best()!.cost, `optimum at ${opt}`).toBe(1);
      const asked = tuner.asked();
      expect(new Set(asked).size).toBe(asked.length);
    }
  });

  test('finds the best legal config of a space with holes and excluded configs', () => {
    // The unconstrained optimum (12, 12) is illegal, and so is everything on or beyond the diagonal a + b = 20,
    // which puts the best legal configs on the diagonal's inside edge; some of them fail to run.
    const s = space({ a: [...Array(16).keys()], b: [...Array(16).keys()], c: [0, 1, 2, 3, 4, 5, 6, 7] }, (c) => (c.a as number) + (c.b as number) < 20);
    const broken = (c: Config) => (c.a as number) % 3 === 0 && c.c !== 5;
    const cost = (c: Config) => (broken(c) ? undefined : ((c.a as number) - 12) ** 2 + ((c.b as number) - 12) ** 2 + ((c.c as number) - 5) ** 2);
    let best = Infinity;
    for (const c of s.configs) best = Math.min(best, cost(c) ?? Infinity);
    for (const seed of [1, 2, 3, 4, 5]) {
      const tuner = fakeTuner(s, cost, 60, seed);
      strategies.guided!.search(tuner.context);
      expect(tuner.best()!.cost).toBe(best);
    }
  });

  test('keeps restarting until the budget is spent, then covers a small space completely', () => {
    const s = space({ a: [1, 2, 3, 4, 5, 6, 7, 8], b: [1, 2, 3, 4, 5, 6, 7, 8] });
    const bumpy = (c: Config) => Math.sin(3 * (c.a as number)) * Math.cos(2 * (c.b as number));
    const limited = fakeTuner(s, bumpy, 30, 9);
    strategies.guided!.search(limited.context);
    expect(limited.measured.size).toBe(30);
    const unlimited = fakeTuner(s, bumpy, Infinity, 9);
    strategies.guided!.search(unlimited.context);
    expect(unlimited.measured.size).toBe(s.size);
    const asked = unlimited.asked();
    expect(new Set(asked).size).toBe(asked.length);
  });
});

describe.each(names)('%s', (name) => {
  test('ends on a space of one config', () => {
    const s = space({ a: [1] });
    const tuner = fakeTuner(s, () => 2);
    strategies[name]!.search(tuner.context);
    expect(tuner.asked()).toEqual([configKey(s.configs[0]!)]);
  });

  test('uses up a small space of numbers, booleans and strings without repeating', () => {
    const s = space({ a: [1, 2, 3], b: [true, false], c: ['x', 'y', 'z'] });
    const tuner = fakeTuner(s, (c) => (c.a as number) + (c.b ? 1 : 0) + ['x', 'y', 'z'].indexOf(c.c as string), Infinity, 3);
    strategies[name]!.search(tuner.context);
    expect([...tuner.asked()].sort()).toEqual(s.configs.map(configKey).sort());
  });

  test('ends on a space where every config is excluded, having tried each once', () => {
    const s = space({ a: [1, 2, 3, 4, 5, 6, 7], b: [1, 2, 3, 4, 5] }, (c) => c.a !== c.b);
    const tuner = fakeTuner(s, () => undefined);
    strategies[name]!.search(tuner.context);
    expect([...tuner.asked()].sort()).toEqual(s.configs.map(configKey).sort());
  });

  test('stops when the budget runs out in the middle of a batch', () => {
    const tuner = fakeTuner(big, quadratic(big, [8, 8, 2, 2]), 5, 11);
    strategies[name]!.search(tuner.context);
    // fakeTuner fails the test if anything is asked after the budget is spent.
    expect(tuner.measured.size).toBe(5);
    expect(tuner.batches.flat().length).toBeGreaterThanOrEqual(5);
  });

  test('is deterministic for a seed', () => {
    const run = (seed: number) => {
      const tuner = fakeTuner(big, quadratic(big, [4, 13, 3, 0]), 45, seed);
      strategies[name]!.search(tuner.context);
      return tuner.asked();
    };
    expect(run(5)).toEqual(run(5));
    if (name !== 'exhaustive') expect(run(5)).not.toEqual(run(6));
  });
});
