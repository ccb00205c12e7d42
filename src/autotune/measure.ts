// Timing of repeated runs: warm-up (by count and by time), repetitions until a count, a time budget or a
// stable median, and robust statistics. `kt run --repeat`, the benchmarks and the tuner all time launches
// through this. GPU work is asynchronous: measureGpu times it with events recorded around each run.
import { GpuEvent, allocate, fillDevice, synchronize, type DeviceAllocation } from '../runtime/gpu.ts';

export interface Measurement {
  /** Median of the timed runs, in milliseconds. */
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Half the distance between the 25th and 75th percentiles, relative to the median. */
  readonly spread: number;
  readonly samples: readonly number[];
}

export interface MeasureOptions {
  /** Untimed runs first (default 1): compilation and JIT warm-up stay out of the numbers. */
  warmup?: number;
  /** Also keep warming up until this much time has gone into untimed runs (clocks and caches settle). */
  warmupMs?: number;
  /** Timed runs to make at least (default 5). */
  minRuns?: number;
  /** Timed runs to make at most (default minRuns, or unbounded when `precision` is given). */
  maxRuns?: number;
  /** Stop adding runs past minRuns once this much time has gone into timed runs (default: no limit). */
  budgetMs?: number;
  /**
   * Stop adding runs past minRuns once the median is known this well: the half-width of its approximate 95%
   * confidence interval, relative to the median (0.01 = within 1%).
   */
  precision?: number;
  /** GPU: overwrite a buffer larger than the L2 cache before each run, so no run reads what the last left there. */
  flushL2?: boolean;
}

const FLUSH_BYTES = 256 * 2 ** 20;
let flushBuffer: DeviceAllocation | undefined;

function flushL2(): void {
  flushBuffer ??= allocate(FLUSH_BYTES);
  fillDevice(flushBuffer.address('the L2 flush buffer'), 0, 4, FLUSH_BYTES / 4);
}

/** The `q` quantile (0 to 1) of ascending samples, interpolated linearly between neighbours (as NumPy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function summarize(samples: readonly number[]): Measurement {
  if (!samples.length) throw new RangeError('no samples to summarize');
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return {
    medianMs: median,
    minMs: sorted[0]!,
    maxMs: sorted[sorted.length - 1]!,
    spread: median > 0 ? (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 2 / median : 0,
    samples,
  };
}

/**
 * Whether the median of these samples is known to `precision`: the 95% interval of a median is about
 * 1.57 IQR / sqrt(n) wide (McGill, Tukey and Larsen's notches), taken relative to the median.
 */
function medianIsStable(samples: readonly number[], precision: number): boolean {
  const sorted = [...samples].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const iqr = quantile(sorted, 0.75) - quantile(sorted, 0.25);
  return median > 0 && (1.57 * iqr) / Math.sqrt(sorted.length) / median <= precision;
}

/** The shared loop: warm-up, then timed runs until the count, the budget or the precision says stop. */
function sample(run: () => void, time: () => number, options: MeasureOptions): Measurement {
  const minRuns = Math.max(1, options.minRuns ?? 5);
  const maxRuns = Math.max(minRuns, options.maxRuns ?? (options.precision === undefined ? minRuns : Infinity));
  const warmupStart = performance.now();
  for (let i = 0; i < (options.warmup ?? 1) || performance.now() - warmupStart < (options.warmupMs ?? 0); i++) run();
  const samples: number[] = [];
  let spent = 0;
  for (;;) {
    if (samples.length >= maxRuns) break;
    if (samples.length >= minRuns) {
      if (options.budgetMs !== undefined && spent >= options.budgetMs) break;
      if (options.precision !== undefined && medianIsStable(samples, options.precision)) break;
      if (options.budgetMs === undefined && options.precision === undefined) break;
    }
    const dt = time();
    samples.push(dt);
    spent += dt;
  }
  return summarize(samples);
}

/** Times `run` (synchronous, e.g. an interpreter launch) with wall-clock time. */
export function measure(run: () => void, options: MeasureOptions = {}): Measurement {
  return sample(run, () => {
    const t = performance.now();
    run();
    return performance.now() - t;
  }, options);
}

/** Times `run` (which launches GPU work) with GPU events: the GPU time from before its first launch to after its last. */
export function measureGpu(run: () => void, options: MeasureOptions = {}): Measurement {
  const [start, end] = [new GpuEvent(), new GpuEvent()];
  try {
    const warmed = (): void => {
      run();
      synchronize();
    };
    return sample(warmed, () => {
      if (options.flushL2) flushL2();
      start.record();
      run();
      return end.record().elapsedSince(start);
    }, options);
  } finally {
    start.destroy();
    end.destroy();
  }
}
