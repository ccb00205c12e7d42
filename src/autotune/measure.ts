// Timing of repeated runs: warm-up, repetitions until a time budget or a count, and robust statistics.
// `kt run --repeat`, the benchmarks and (later) the tuner all time launches through this. GPU work is
// asynchronous: measureGpu times it with events recorded around each run.
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
  /** Timed runs to make at least (default 5). */
  minRuns?: number;
  /** Timed runs to make at most (default minRuns). */
  maxRuns?: number;
  /** Stop adding runs past minRuns once this much time has gone into timed runs (default: no limit). */
  budgetMs?: number;
  /** GPU: overwrite a buffer larger than the L2 cache before each run, so no run reads what the last left there. */
  flushL2?: boolean;
}

const FLUSH_BYTES = 256 * 2 ** 20;
let flushBuffer: DeviceAllocation | undefined;

function flushL2(): void {
  flushBuffer ??= allocate(FLUSH_BYTES);
  fillDevice(flushBuffer.ptr, 0, 4, FLUSH_BYTES / 4);
}

function quantile(sorted: readonly number[], q: number): number {
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

/** Times `run` (synchronous, e.g. an interpreter launch) with wall-clock time. */
export function measure(run: () => void, options: MeasureOptions = {}): Measurement {
  const warmup = options.warmup ?? 1;
  const minRuns = Math.max(1, options.minRuns ?? 5);
  const maxRuns = Math.max(minRuns, options.maxRuns ?? minRuns);
  for (let i = 0; i < warmup; i++) run();
  const samples: number[] = [];
  let spent = 0;
  while (samples.length < maxRuns && (samples.length < minRuns || options.budgetMs === undefined || spent < options.budgetMs)) {
    const t = performance.now();
    run();
    const dt = performance.now() - t;
    samples.push(dt);
    spent += dt;
  }
  return summarize(samples);
}

/** Times `run` (which launches GPU work) with GPU events: the GPU time from before its first launch to after its last. */
export function measureGpu(run: () => void, options: MeasureOptions = {}): Measurement {
  const warmup = options.warmup ?? 1;
  const minRuns = Math.max(1, options.minRuns ?? 5);
  const maxRuns = Math.max(minRuns, options.maxRuns ?? minRuns);
  for (let i = 0; i < warmup; i++) run();
  synchronize();
  const [start, end] = [new GpuEvent(), new GpuEvent()];
  try {
    const samples: number[] = [];
    let spent = 0;
    while (samples.length < maxRuns && (samples.length < minRuns || options.budgetMs === undefined || spent < options.budgetMs)) {
      if (options.flushL2) flushL2();
      start.record();
      run();
      const dt = end.record().elapsedSince(start);
      samples.push(dt);
      spent += dt;
    }
    return summarize(samples);
  } finally {
    start.destroy();
    end.destroy();
  }
}
