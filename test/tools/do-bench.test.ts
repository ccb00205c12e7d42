// doBench: warm-up by time, timed runs until the time budget, median and quantiles in ms; the wall clock for the
// interpreter and plain functions, GPU events (with the L2 flushed) for GPU launches where there is a GPU.
import { describe, expect, test } from 'vitest';
import { doBench, empty, gpuAvailable, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';

const copy = kernel(function copy(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, tl.load(x + offs, { mask: offs < n }), { mask: offs < n });
});

/** A plain function that takes about `ms` milliseconds, counting its calls. */
function busy(ms: number): { run: () => void; calls: () => number } {
  let calls = 0;
  return {
    run: () => {
      calls++;
      const end = performance.now() + ms;
      while (performance.now() < end);
    },
    calls: () => calls,
  };
}

describe('on the CPU', () => {
  test('a plain function: wall clock, warm-up by time, runs until the budget, median and quantiles', () => {
    const f = busy(2);
    const r = doBench(f.run, { warmupMs: 20, repMs: 20 });
    expect(r.timer).toBe('wall');
    // 20 ms of warm-up (the first call counts) and 20 ms of timed runs of at least 2 ms each (more on a busy machine).
    expect(r.samples.length).toBeGreaterThanOrEqual(1);
    expect(r.samples.length).toBeLessThanOrEqual(10);
    const untimed = f.calls() - r.samples.length;
    expect(untimed).toBeGreaterThanOrEqual(2);
    expect(untimed).toBeLessThanOrEqual(10);
    expect(r.medianMs).toBeGreaterThanOrEqual(2);
    const [q20, q50, q80] = r.quantilesMs;
    expect(q50).toBe(r.medianMs);
    expect(r.minMs).toBeLessThanOrEqual(q20!);
    expect(q20!).toBeLessThanOrEqual(q50!);
    expect(q50!).toBeLessThanOrEqual(q80!);
    expect(q80!).toBeLessThanOrEqual(r.maxMs);
    expect(r.meanMs).toBeCloseTo(r.samples.reduce((a, b) => a + b, 0) / r.samples.length, 12);
  });

  test('quantiles as asked; maxRuns bounds the runs of a very short function, minRuns of a long one', () => {
    const r = doBench(() => {}, { warmupMs: 0, repMs: 1e6, maxRuns: 50, quantiles: [0, 1] });
    expect(r.samples).toHaveLength(50);
    expect(r.quantilesMs).toEqual([r.minMs, r.maxMs]);
    const slow = busy(5);
    const s = doBench(slow.run, { warmupMs: 0, repMs: 1, minRuns: 3 });
    expect(s.samples).toHaveLength(3);
    // The first call was the warm-up: no other untimed runs.
    expect(slow.calls()).toBe(4);
  });

  test('kernel launches on the interpreter are timed with the wall clock', () => {
    const n = 4096;
    const [x, out] = [tensor(new Float32Array(n).fill(2)), empty([n])];
    const r = doBench(() => copy([n / 1024], x, out, n, { BLOCK: 1024 }), { warmupMs: 5, repMs: 10 });
    expect(r.timer).toBe('wall');
    expect(r.medianMs).toBeGreaterThan(0);
    expect(out.toNumbers().slice(0, 2)).toEqual([2, 2]);
  });

  test('bad options are refused with what to give', () => {
    expect(() => doBench(() => {}, { repMs: -1 })).toThrow(/repMs must be a number of milliseconds, 0 or more; got -1/);
    expect(() => doBench(() => {}, { quantiles: [50] })).toThrow(/quantiles must be from 0 to 1 \(0\.5 is the median\), got 50/);
    expect(() => doBench(() => {}, { minRuns: 5, maxRuns: 2 })).toThrow(/maxRuns \(2\) must be at least minRuns \(5\)/);
    expect(() => doBench(() => {}, { timer: 'cpu' as never })).toThrow(/timer must be 'auto', 'gpu' or 'wall', got cpu/);
  });
});

describe.skipIf(!gpuAvailable())('on the GPU', () => {
  test('GPU launches are timed with events', () => {
    const n = 1 << 20;
    const [x, out] = [empty([n], 'f32', 'cuda').fill(1), empty([n], 'f32', 'cuda')];
    const r = doBench(() => copy([n / 1024], x, out, n, { BLOCK: 1024 }), { repMs: 20 });
    expect(r.timer).toBe('gpu');
    expect(r.medianMs).toBeGreaterThan(0);
    expect(r.medianMs).toBeLessThan(5);
  });
});
