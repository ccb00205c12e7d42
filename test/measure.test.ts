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
