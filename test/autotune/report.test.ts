// The tuning report: the result table marks the configs whose measurements cannot be told from the best's, and
// the SVG chart has an axis with its unit, interquartile whiskers, the parameters held fixed, ties marked and a
// width that fits its title.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { resultTable, tiesWithBest, writeReports } from '../../src/autotune/report.ts';
import type { MeasuredResult } from '../../src/autotune/records.ts';
import type { TuneOutcome } from '../../src/autotune/tuner.ts';

const result = (block: number, medianMs: number, spread: number): MeasuredResult & { cached: boolean } => ({
  status: 'ok',
  config: { BLOCK: block, GROUP: 8, numWarps: 4, numStages: 3 },
  medianMs,
  minMs: medianMs * (1 - 2 * spread),
  maxMs: medianMs * (1 + 2 * spread),
  spread,
  runs: 20,
  measuredAt: '2026-12-02T00:00:00.000Z',
  cached: false,
});

function outcome(results: (MeasuredResult & { cached: boolean })[]): TuneOutcome {
  return {
    identity: { kernel: 'k', sourceHash: 'h', key: { N: 1024 }, dtypes: ['f32'], device: 'interpreter', driver: '-', kt: '0' },
    strategy: 'exhaustive',
    spaceSize: results.length,
    results,
    best: [...results].sort((a, b) => a.medianMs - b.medianMs)[0],
    timing: { totalMs: 1, compileMs: 0, compileWaitMs: 0, prepareMs: 0, checkMs: 0, measureMs: 0 },
  } as TuneOutcome;
}

describe('the tuning report', () => {
  // The best at 1.000 ms +-1%; 1.015 ms +-1% overlaps it; 1.100 ms +-1% does not.
  const results = [result(64, 1.1, 0.01), result(128, 1.0, 0.01), result(256, 1.015, 0.01)];

  test('ties with the best are those within each other\'s spread', () => {
    expect(tiesWithBest(results[2]!, results[1]!)).toBe(true);
    expect(tiesWithBest(results[0]!, results[1]!)).toBe(false);
  });

  test('the table marks ties with #1 and names the fixed parameters once', () => {
    const table = resultTable(outcome(results), { bytes: 1024 * 8 });
    expect(table).toMatch(/^fixed: GROUP=8 numWarps=4 numStages=3$/m);
    expect(table).toMatch(/^2 +BLOCK=256 .*tie with #1$/m);
    expect(table).toMatch(/^3 +BLOCK=64 (?!.*tie).*$/m);
  });

  test('the chart has an axis with its unit, whiskers, the fixed parameters, ties marked, and fits its title', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-report-'));
    const title = 'a title long enough that the chart must be widened to hold it, and then some more words beyond';
    const { svg } = writeReports(dir, 'r', outcome(results), { bytes: 1024 * 8 }, title);
    const text = fs.readFileSync(svg, 'utf8');
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(text)![1]);
    expect(width).toBeGreaterThanOrEqual(9 * title.length);
    expect(text).toContain('fixed: GROUP=8 numWarps=4 numStages=3');
    // The unit under the axis, tick labels along it, a whisker per bar.
    expect(text).toMatch(/text-anchor="middle">MB\/s<\/text>/);
    expect(text.match(/<line [^>]*stroke="#222"\/>/g)).toHaveLength(3);
    expect(text.match(/stroke="#e4e4e4"/g)!.length).toBeGreaterThanOrEqual(4);
    // Best green, its tie light green, the other blue.
    expect(text.match(/fill="#2a9d3a"/g)).toHaveLength(1);
    expect(text.match(/fill="#8fd19a"/g)).toHaveLength(1);
    expect(text.match(/fill="#4a78c2"/g)).toHaveLength(1);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('the progress bar', () => {
  test('shows as many whole name=value items of the best config as fit, never a cut word', async () => {
    const { bestText } = await import('../../src/cli/tune-sweep.ts');
    const best = { ...result(128, 1.0, 0.01), config: { BLOCK_M: 128, BLOCK_N: 256, BLOCK_K: 64, GROUP_M: 8, numWarps: 8, numStages: 3 } };
    const p = { done: 3, total: 10, best, elapsedMs: 1000 };
    expect(bestText(p, 200)).toBe('best 1.000 ms (BLOCK_M=128 BLOCK_N=256 BLOCK_K=64 GROUP_M=8 numWarps=8 numStages=3)');
    const short = bestText(p, 50);
    expect(short.length).toBeLessThanOrEqual(50);
    expect(short).toMatch(/^best 1\.000 ms \((\w+=\d+ )+…\)$/);
    expect(bestText(p, 12)).toBe('');
  });
});
