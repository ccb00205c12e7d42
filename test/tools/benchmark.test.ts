// Benchmark and perfReport: a sweep over x values and providers (a kt kernel on the interpreter, a plain function),
// a metric computed from the times, a printed table, and the CSV file and SVG line chart written.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test, vi } from 'vitest';
import { Benchmark, BenchmarkError, empty, kernel, perfReport, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';

const add = kernel(function add(x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  tl.store(out + offs, tl.load(x + offs, { mask }) + tl.load(y + offs, { mask }), { mask });
});

const quick = { warmupMs: 0, repMs: 2, maxRuns: 5 };

const vectorAdd = new Benchmark({
  name: 'vector-add',
  title: 'vector add, f32',
  x: { name: 'n', values: [1024, 4096, 16384], log: true },
  args: { BLOCK: 1024 },
  providers: {
    kt: ({ n, BLOCK }) => {
      const [x, y, out] = [tensor(new Float32Array(n as number).fill(1)), tensor(new Float32Array(n as number).fill(2)), empty([n as number])];
      return () => add([Math.ceil((n as number) / (BLOCK as number))], x, y, out, n, { BLOCK });
    },
    'plain JS': ({ n }) => {
      const [x, y, out] = [new Float32Array(n as number).fill(1), new Float32Array(n as number).fill(2), new Float32Array(n as number)];
      return () => {
        for (let i = 0; i < x.length; i++) out[i] = x[i]! + y[i]!;
      };
    },
  },
  metric: { name: 'bandwidth', unit: 'GB/s', fromMs: (ms, { n }) => (12 * (n as number)) / ms / 1e6 },
  bench: quick,
});

describe('a sweep', () => {
  test('times every provider at every x value, and turns the times into the metric', () => {
    const r = vectorAdd.run();
    expect(r.xNames).toEqual(['n']);
    expect(r.series.map((s) => s.provider)).toEqual(['kt', 'plain JS']);
    for (const s of r.series) {
      expect(s.points.map((p) => p.x)).toEqual([1024, 4096, 16384]);
      for (const p of s.points) {
        expect(p.bench.timer).toBe('wall');
        expect(p.value).toBeCloseTo((12 * p.x) / p.bench.medianMs / 1e6, 9);
        // A rate: the slower (80th percentile) time gives the lower end.
        expect(p.low).toBeLessThanOrEqual(p.value);
        expect(p.high).toBeGreaterThanOrEqual(p.value);
      }
    }
  });

  test('several names take each x value; providers get the fixed args too; the default metric is time', () => {
    const seen: string[] = [];
    const square = new Benchmark({
      name: 'square',
      x: { name: ['M', 'N'], values: [2, 3] },
      args: { dtype: 'f16' },
      providers: { record: (p) => (seen.push(JSON.stringify(p)), () => {}) },
      bench: quick,
    });
    const r = square.run();
    expect(seen).toEqual(['{"dtype":"f16","M":2,"N":2}', '{"dtype":"f16","M":3,"N":3}']);
    expect(r.metric).toEqual({ name: 'time', unit: 'ms' });
    expect(r.series[0]!.points[0]!.value).toBe(r.series[0]!.points[0]!.bench.medianMs);
  });

  test('a provider that fails names the benchmark, the provider and the x value', () => {
    const failing = new Benchmark({
      name: 'failing',
      x: { name: 'n', values: [1, 2] },
      providers: { ok: () => () => {}, broken: ({ n }) => (n === 2 ? (undefined as never) : () => {}) },
      bench: quick,
    });
    expect(() => failing.run()).toThrow(BenchmarkError);
    expect(() => failing.run()).toThrow("benchmark 'failing', provider 'broken' at n=2: the provider returned undefined, not the function to time");
  });

  test.each([
    [{ name: 'has spaces' }, /name must be letters, digits, '_', '.' or '-' \(it names the CSV and SVG files\); put spaces in `title`/],
    [{ x: { name: 'n', values: [] } }, /x\.values must be a list of numbers/],
    [{ x: { name: 'n', values: [0, 1], log: true } }, /x\.log needs positive x values/],
    [{ providers: {} }, /give at least one provider/],
    [{ providers: { kt: 3 } }, /provider 'kt' must be a function of the point that returns the function to time/],
    [{ metric: { unit: 'GB/s' } }, /metric must be \{ name, unit, fromMs: \(ms, point\) => value \}/],
  ])('a bad declaration is refused at once: %j', (change, message) => {
    const base = { name: 'ok', x: { name: 'n', values: [1] }, providers: { f: () => () => {} } };
    expect(() => new Benchmark({ ...base, ...change } as never)).toThrow(message);
  });
});

describe('perfReport', () => {
  test('prints a table and writes the CSV and the SVG line chart', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kt-bench-'));
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text) => void printed.push(String(text)));
    let reports;
    try {
      reports = perfReport(vectorAdd, { out: path.join(out, 'results') });
    } finally {
      log.mockRestore();
    }
    const lines = printed.join('\n').split('\n');
    expect(lines[0]).toBe('vector add, f32: bandwidth in GB/s (median; timed with kt: wall clock; plain JS: wall clock)');
    expect(lines[1]).toMatch(/^ {4}n +kt {2}plain JS$/);
    expect(lines.slice(2, 5).map((l) => l.trim().split(/\s+/)[0])).toEqual(['1024', '4096', '16384']);
    expect(lines[5]).toBe(`wrote ${path.join(out, 'results', 'vector-add.csv')} and ${path.join(out, 'results', 'vector-add.svg')}`);

    const { files, result } = reports[0]!;
    const csv = fs.readFileSync(files!.csv, 'utf8').trimEnd().split('\n');
    expect(csv[0]).toBe('n,kt (GB/s),plain JS (GB/s)');
    expect(csv.slice(1).map((l) => l.split(','))).toEqual(result.series[0]!.points.map((p, i) => [String(p.x), String(p.value), String(result.series[1]!.points[i]!.value)]));

    const svg = fs.readFileSync(files!.svg, 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>vector add, f32</text>');
    expect(svg).toContain('>bandwidth (GB/s)</text>');
    expect(svg).toContain('>n (log scale)</text>');
    // The x ticks are the swept values, as powers of two; a line, a band and a legend entry per provider.
    for (const tick of ['2^10', '2^12', '2^14']) expect(svg).toContain(`>${tick}</text>`);
    expect(svg.match(/<polyline points="[^"]*" fill="none" stroke="#\w+" stroke-width="2"\/>/g)).toHaveLength(2);
    expect(svg.match(/<polygon /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(6);
    expect(svg).toContain('>kt</text>');
    expect(svg).toContain('>plain JS</text>');
  });

  test('without out, writes nothing; print: false prints nothing', () => {
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((text) => void printed.push(String(text)));
    try {
      const [report] = perfReport([vectorAdd], { print: false });
      expect(report!.files).toBeUndefined();
      expect(printed).toEqual([]);
    } finally {
      log.mockRestore();
    }
  });
});
