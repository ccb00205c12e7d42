// doBench: Triton's do_bench in kt's words. Times a function that launches kernels (or does any other work):
// a first call (compilation, loading), warm-up by time, then timed runs until a time budget is spent; the median
// and quantiles of the runs, in milliseconds. A function that launches on the GPU is timed with GPU events, the
// L2 cache flushed before each run, as kt tune and kt run --repeat time it (measure.ts); anything else (launches
// on the interpreter, plain functions) with the wall clock.
import { measure, measureGpu, quantile } from '../autotune/measure.ts';
import { synchronize } from '../runtime/gpu.ts';
import { addLaunchHook } from './launch-hooks.ts';

export interface BenchOptions {
  /**
   * Warm-up time in ms before the timed runs (default 25). On the wall clock the first call counts towards it; on
   * the GPU, whose clocks rise only with GPU work, it comes after the first call (whose time is mostly compiling).
   */
  warmupMs?: number;
  /** Time in ms to spend in timed runs (default 100): runs are added until their times add up to this. */
  repMs?: number;
  /** Timed runs to make at least (default 1) and at most (default 1000, so that very short runs end too). */
  minRuns?: number;
  maxRuns?: number;
  /** Quantiles to report, each from 0 to 1 (default [0.2, 0.5, 0.8]). */
  quantiles?: readonly number[];
  /** On the GPU: overwrite a buffer larger than the L2 cache before each run, so no run reads what the last left there (default true). */
  flushL2?: boolean;
  /**
   * How to time: 'gpu' (CUDA events), 'wall' (the wall clock, around the call: GPU work it queues is not waited
   * for), or 'auto' (the default): events when the first call launched a kernel on the GPU, else the wall clock.
   */
  timer?: 'auto' | 'gpu' | 'wall';
}

export interface BenchResult {
  /** The median of the timed runs, in ms. */
  readonly medianMs: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** The time at each of the quantiles asked for, in ms, in their order. */
  readonly quantilesMs: readonly number[];
  /** Every timed run, in ms, in the order they ran. */
  readonly samples: readonly number[];
  /** How the runs were timed. */
  readonly timer: 'gpu' | 'wall';
}

const defaults = { warmupMs: 25, repMs: 100, minRuns: 1, maxRuns: 1000, quantiles: [0.2, 0.5, 0.8], flushL2: true };

function checkOptions(o: Required<BenchOptions>): void {
  for (const name of ['warmupMs', 'repMs'] as const) {
    if (!(o[name] >= 0) || !Number.isFinite(o[name])) throw new RangeError(`doBench: ${name} must be a number of milliseconds, 0 or more; got ${o[name]}`);
  }
  if (!Number.isInteger(o.minRuns) || o.minRuns < 1) throw new RangeError(`doBench: minRuns must be a positive integer, got ${o.minRuns}`);
  if (!(o.maxRuns >= o.minRuns)) throw new RangeError(`doBench: maxRuns (${o.maxRuns}) must be at least minRuns (${o.minRuns})`);
  const bad = o.quantiles.find((q) => !(q >= 0 && q <= 1));
  if (bad !== undefined) throw new RangeError(`doBench: quantiles must be from 0 to 1 (0.5 is the median), got ${bad}`);
  if (!['auto', 'gpu', 'wall'].includes(o.timer)) throw new RangeError(`doBench: timer must be 'auto', 'gpu' or 'wall', got ${String(o.timer)}`);
}

/** Calls `fn` once, saying whether it launched a kernel on the GPU, and how long the call took (waiting for the GPU). */
function firstCall(fn: () => void): { onGpu: boolean; ms: number } {
  let onGpu = false;
  const remove = addLaunchHook({ before: (l) => void (onGpu ||= l.backend === 'gpu') });
  const start = performance.now();
  try {
    fn();
    if (onGpu) synchronize();
  } finally {
    remove();
  }
  return { onGpu, ms: performance.now() - start };
}

/**
 * Times `fn`: `doBench(() => add(grid, x, y, out, n, { BLOCK: 1024 }))`. On the GPU with events and the L2 cache
 * flushed before each run; on the interpreter, or for plain functions, with the wall clock.
 */
export function doBench(fn: () => void, options: BenchOptions = {}): BenchResult {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o: Required<BenchOptions> = { ...defaults, timer: 'auto', ...given };
  checkOptions(o);
  const first = firstCall(fn);
  const timer = o.timer === 'auto' ? (first.onGpu ? 'gpu' : 'wall') : o.timer;
  const warmupMs = timer === 'gpu' ? o.warmupMs : Math.max(0, o.warmupMs - first.ms);
  const settings = { warmup: 0, warmupMs, minRuns: o.minRuns, maxRuns: o.maxRuns, budgetMs: o.repMs, flushL2: o.flushL2 };
  const m = timer === 'gpu' ? measureGpu(fn, settings) : measure(fn, settings);
  const sorted = [...m.samples].sort((a, b) => a - b);
  return {
    medianMs: m.medianMs,
    meanMs: m.samples.reduce((a, b) => a + b, 0) / m.samples.length,
    minMs: m.minMs,
    maxMs: m.maxMs,
    quantilesMs: o.quantiles.map((q) => quantile(sorted, q)),
    samples: m.samples,
    timer,
  };
}
