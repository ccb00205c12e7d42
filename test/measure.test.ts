import { expect, test } from 'vitest';
import { measure, summarize } from '../src/autotune/measure.ts';

test('summaries: median, extremes and interquartile spread', () => {
  const m = summarize([5, 1, 3, 2, 4]);
  expect(m.medianMs).toBe(3);
  expect(m.minMs).toBe(1);
  expect(m.maxMs).toBe(5);
  expect(m.spread).toBeCloseTo((4 - 2) / 2 / 3);
  expect(() => summarize([])).toThrow(/no samples/);
});

test('measure warms up, then makes between minRuns and maxRuns timed runs within the budget', () => {
  let calls = 0;
  const m = measure(() => void calls++, { warmup: 2, minRuns: 3, maxRuns: 10, budgetMs: 1e9 });
  expect(calls).toBe(12);
  expect(m.samples.length).toBe(10);
  calls = 0;
  const busy = () => {
    calls++;
    const end = performance.now() + 2;
    while (performance.now() < end);
  };
  const short = measure(busy, { warmup: 0, minRuns: 2, maxRuns: 1000, budgetMs: 10 });
  expect(short.samples.length).toBeGreaterThanOrEqual(2);
  expect(short.samples.length).toBeLessThan(20);
});

test('measure warms up for a time, and stops once the median is known to the precision asked', () => {
  let calls = 0;
  const steady = () => {
    calls++;
    const end = performance.now() + 1;
    while (performance.now() < end);
  };
  const m = measure(steady, { warmup: 0, warmupMs: 20, minRuns: 5, budgetMs: 1000, precision: 0.05 });
  // Up to 20 warm-up runs of 1 ms each (fewer when the machine is busy: the runs are timed by the wall clock; none
  // would run were the warm-up counted, warmup: 0), then few timed runs: equal times give a tight median quickly.
  expect(calls - m.samples.length).toBeGreaterThanOrEqual(5);
  expect(m.samples.length).toBeLessThan(100);
  let i = 0;
  const noisy = () => {
    const end = performance.now() + (i++ % 2 ? 0.2 : 2);
    while (performance.now() < end);
  };
  const n = measure(noisy, { warmup: 0, minRuns: 3, budgetMs: 60, precision: 0.001 });
  // Widely spread times never reach 0.1%: the budget ends it.
  expect(n.samples.length).toBeGreaterThan(10);
  expect(n.samples.reduce((a, b) => a + b, 0)).toBeLessThan(200);
});
