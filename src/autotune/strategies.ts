// Search strategies over a tuning space. A strategy only decides which configs to measure next; the tuner
// (tuner.ts) measures them, keeps every result, enforces the budget and knows the best. Configs measured in an
// earlier run come back from the cache at no cost (they count against a count budget all the same, so that a
// repeated search with the same seed retraces its steps through the cache and measures nothing).
import type { Config } from '../dsl/spec.ts';
import { configKey, type ConfigSpace } from './space.ts';

/** How much a search may settle: a count of configs and/or a time in milliseconds. */
export interface Budget {
  readonly configs?: number;
  readonly ms?: number;
}

export interface SearchContext {
  readonly space: ConfigSpace;
  /**
   * Measures configs (the tuner may compile some while it measures others) and returns each one's cost in
   * milliseconds, lower is better: undefined for a config that was excluded (it failed to compile, gave a wrong
   * answer, ...) or that was not measured because the budget ran out.
   */
  evaluate(configs: readonly Config[]): readonly (number | undefined)[];
  /** Whether the budget is spent: a strategy stops asking once it is. */
  exhausted(): boolean;
  readonly budget: Budget;
  /** A seeded source of uniform numbers in [0, 1). */
  readonly random: () => number;
}

export interface Strategy {
  readonly name: string;
  readonly description: string;
  search(context: SearchContext): void;
}

/**
 * Configs per evaluate call for the strategies that have no natural batch: enough for the tuner to compile
 * several while it measures, few enough that little is compiled past the budget.
 */
const BATCH = 16;

/**
 * Random points the guided search measures before it walks: a third of a count budget (12 for the default
 * of 40, or with only a time budget), enough to land near the best basin of a smooth space while leaving most
 * of the budget to the walk, which is what finds the exact optimum.
 */
const guidedSamples = (budget: Budget): number => (budget.configs === undefined ? 12 : Math.max(2, Math.round(budget.configs / 3)));

/** The configs in a seeded random order without replacement, shuffled only as far as they are drawn. */
function randomOrder(configs: readonly Config[], random: () => number): () => Config | undefined {
  const order = configs.map((_, i) => i);
  let drawn = 0;
  return () => {
    if (drawn === order.length) return undefined;
    const j = drawn + Math.floor(random() * (order.length - drawn));
    [order[drawn], order[j]] = [order[j]!, order[drawn]!];
    return configs[order[drawn++]!];
  };
}

function take(draw: () => Config | undefined, count: number): Config[] {
  const out: Config[] = [];
  while (out.length < count) {
    const c = draw();
    if (!c) break;
    out.push(c);
  }
  return out;
}

/** The costs a search has seen, so that it never asks the tuner for a config twice. */
class Costs {
  private readonly known = new Map<string, number | undefined>();

  constructor(private readonly context: SearchContext) {}

  has(config: Config): boolean {
    return this.known.has(configKey(config));
  }

  get(config: Config): number | undefined {
    return this.known.get(configKey(config));
  }

  /** Measures the configs not seen yet as one batch. */
  measure(configs: readonly Config[]): void {
    if (this.context.exhausted()) return;
    const fresh = [...new Map(configs.filter((c) => !this.has(c)).map((c) => [configKey(c), c])).values()];
    if (fresh.length === 0) return;
    const costs = this.context.evaluate(fresh);
    fresh.forEach((c, i) => this.known.set(configKey(c), costs[i]));
  }
}

const exhaustive: Strategy = {
  name: 'exhaustive',
  description: 'measure every config of the space, in order',
  search(context) {
    const { configs } = context.space;
    for (let i = 0; i < configs.length && !context.exhausted(); i += BATCH) context.evaluate(configs.slice(i, i + BATCH));
  },
};

const random: Strategy = {
  name: 'random',
  description: 'measure configs drawn at random until the budget is spent',
  search(context) {
    const draw = randomOrder(context.space.configs, context.random);
    while (!context.exhausted()) {
      const batch = take(draw, BATCH);
      if (batch.length === 0) return;
      context.evaluate(batch);
    }
  },
};

const guided: Strategy = {
  name: 'guided',
  description: 'measure a random sample, then walk from the best configs to neighbours that are faster',
  search(context) {
    const { space } = context;
    const costs = new Costs(context);
    const draw = randomOrder(space.configs, context.random);
    const starts = take(draw, guidedSamples(context.budget));
    costs.measure(starts);
    // Configs that a walk has stood on: a walk started from one would retrace the rest of that walk.
    const used = new Set<string>();
    // A coarse first step crosses the space in a few moves; halving then homes in.
    const firstStep = Math.max(1, Math.round(Math.max(...space.dimensions.map((d) => d.choices.length)) / 4));

    const nextStart = (): Config | undefined => {
      let best: Config | undefined;
      let bestCost = Infinity;
      for (const c of starts) {
        const cost = costs.get(c);
        if (cost !== undefined && cost < bestCost && !used.has(configKey(c))) [best, bestCost] = [c, cost];
      }
      return best;
    };

    // Pattern search: from the centre, try the configs a step away along each dimension, move to the fastest
    // one that is faster, and halve the step when none is. Every move lowers the cost and every halving
    // shortens the step, so a walk ends.
    const walk = (start: Config): void => {
      let centre = start;
      let cost = costs.get(start)!;
      let step = firstStep;
      while (!context.exhausted()) {
        used.add(configKey(centre));
        const at = space.coordinates(centre);
        const point = (move: readonly number[]) => space.at(at.map((x, i) => x + move[i]!));
        const costOf = (move: readonly number[]) => {
          const c = point(move);
          return c && costs.get(c);
        };
        const fastest = (moves: readonly (readonly number[])[]) => {
          costs.measure(moves.map(point).filter((c) => c !== undefined));
          let best: readonly number[] | undefined;
          let bestCost = cost;
          for (const m of moves) {
            const c = costOf(m);
            if (c !== undefined && c < bestCost) [best, bestCost] = [m, c];
          }
          return best;
        };
        // Per dimension, the move down and the move up.
        const axes = at.map((_, d) => [-step, step].map((offset) => at.map((_, i) => (i === d ? offset : 0))));
        let move = fastest(axes.flat());
        if (move) {
          // Parameters often act independently: taking every dimension's faster move at once saves the walk
          // a move per dimension.
          const faster = (m: readonly number[]) => (costOf(m) ?? Infinity) < cost;
          const byCost = (a: readonly number[], b: readonly number[]) => costOf(a)! - costOf(b)!;
          const moves = axes.map((pair) => pair.filter(faster).sort(byCost)[0]).filter((m) => m !== undefined);
          if (moves.length > 1) {
            const combined = moves.reduce((sum, m) => sum.map((x, i) => x + m[i]!));
            move = (fastest([move, combined])) ?? move;
          }
        } else {
          // Constraints such as a shared-memory limit cut the space along diagonals, and the best config often
          // lies on such an edge, where a step along one dimension is illegal or fails: there, also step along
          // a second dimension.
          const blocked = axes.flat().filter((m) => costOf(m) === undefined);
          const diagonals = blocked.flatMap((b) =>
            axes.filter((_, d) => b[d] === 0).flat().map((m) => b.map((x, i) => x + m[i]!)),
          );
          move = fastest(diagonals);
        }
        if (move) {
          centre = point(move)!;
          cost = costOf(move)!;
        } else if (step > 1) step = Math.floor(step / 2);
        else return;
      }
    };

    while (!context.exhausted()) {
      const start = nextStart();
      if (start) {
        walk(start);
        continue;
      }
      // Every sampled config has been walked from or is excluded: sample one more config never measured.
      let fresh = draw();
      while (fresh && costs.has(fresh)) fresh = draw();
      if (!fresh) return;
      starts.push(fresh);
      costs.measure([fresh]);
    }
  },
};

export const strategies: Readonly<Record<string, Strategy>> = { exhaustive, random, guided };
