// Benchmark and perfReport: Triton's triton.testing.Benchmark and perf_report in kt's words. A Benchmark sweeps
// one argument (sizes, say) over its values and, at each, times every provider (a kt kernel's launch, a plain
// function, anything that runs) with doBench; perfReport runs benchmarks, prints a table of each, and writes a
// CSV file and an SVG line chart (median lines, 20th to 80th percentile bands). `kt bench <file.ts>` runs the
// benchmarks a file exports.
import fs from 'node:fs';
import path from 'node:path';
import { doBench, type BenchOptions, type BenchResult } from './do-bench.ts';
import { lineChartSvg } from './line-chart.ts';
import { formatColumns } from './text-table.ts';

/** The arguments of one point of a sweep: the swept value under its name(s), and the benchmark's fixed `args`. */
export type BenchmarkPoint = Readonly<Record<string, number | string | boolean>>;

/** Makes what to time at a point: called once per point, outside the timing, it returns the function doBench times. */
export type Provider = (point: BenchmarkPoint) => () => void;

/** What a benchmark reports: time by default, or a quantity computed from it (a throughput). */
export interface Metric {
  /** What it is, for the chart's axis and the table: 'throughput', 'bandwidth'. */
  readonly name: string;
  /** Its unit: 'GB/s', 'TFLOP/s'. */
  readonly unit: string;
  /** Its value for a run that took `ms` milliseconds at `point`. */
  readonly fromMs: (ms: number, point: BenchmarkPoint) => number;
}

export interface BenchmarkOptions {
  /** Names the benchmark in `kt bench <file> <name>` and its files (<name>.csv, <name>.svg): letters, digits, `_`, `.`, `-`. */
  readonly name: string;
  /** The chart's title (default: the name). */
  readonly title?: string;
  /**
   * The swept argument: its name, or several names that all take each value (`['M', 'N', 'K']` for square
   * matmuls), its values, and whether to draw them on a logarithmic axis (for sizes that double).
   */
  readonly x: { readonly name: string | readonly string[]; readonly values: readonly number[]; readonly log?: boolean };
  /** Arguments held fixed over the sweep, passed to the providers with the swept one (Triton's `args`). */
  readonly args?: BenchmarkPoint;
  /** What is compared, by name: each makes the function to time at a point (Triton's line_vals). */
  readonly providers: Readonly<Record<string, Provider>>;
  /** What to report (default: the time in ms). */
  readonly metric?: Metric;
  /** How doBench times each point (its quantiles are the chart's band: 20th to 80th percentile). */
  readonly bench?: Omit<BenchOptions, 'quantiles'>;
}

export interface BenchmarkPointResult {
  /** The swept value. */
  readonly x: number;
  /** The metric at the median time, and at the 20th and 80th percentiles of the times (low at or below high). */
  readonly value: number;
  readonly low: number;
  readonly high: number;
  /** doBench's measurement. */
  readonly bench: BenchResult;
}

export interface BenchmarkResult {
  readonly name: string;
  readonly title: string;
  readonly xNames: readonly string[];
  readonly xLog: boolean;
  readonly metric: { readonly name: string; readonly unit: string };
  /** One line per provider, its points in the order of the x values. */
  readonly series: readonly { readonly provider: string; readonly points: readonly BenchmarkPointResult[] }[];
}

/** A provider that failed: where (benchmark, provider, x value), with the error itself as the cause. */
export class BenchmarkError extends Error {
  constructor(where: string, cause: unknown) {
    super(`${where}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BenchmarkError';
  }
}

const timeMetric: Metric = { name: 'time', unit: 'ms', fromMs: (ms) => ms };

/** A sweep over one argument's values, timing each provider at each: declare it, export it, run it with perfReport or `kt bench`. */
export class Benchmark {
  readonly name: string;

  constructor(readonly options: BenchmarkOptions) {
    this.name = options.name;
    const fail = (msg: string): never => {
      throw new TypeError(`Benchmark '${String(options.name)}': ${msg}`);
    };
    if (typeof options.name !== 'string' || !/^[A-Za-z0-9][\w.-]*$/.test(options.name)) fail("name must be letters, digits, '_', '.' or '-' (it names the CSV and SVG files); put spaces in `title`");
    const names = typeof options.x?.name === 'string' ? [options.x.name] : [...(options.x?.name ?? [])];
    if (!names.length || names.some((n) => typeof n !== 'string' || !n)) fail("x.name must be the swept argument's name (or a list of names)");
    if (!Array.isArray(options.x.values) || !options.x.values.length || options.x.values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) fail('x.values must be a list of numbers');
    if (options.x.log && options.x.values.some((v) => v <= 0)) fail('x.log needs positive x values');
    const providers = Object.entries(options.providers ?? {});
    if (!providers.length) fail('give at least one provider: providers: { kt: (point) => () => myKernel(...) }');
    for (const [name, p] of providers) if (typeof p !== 'function') fail(`provider '${name}' must be a function of the point that returns the function to time`);
    const m = options.metric;
    if (m !== undefined && (typeof m.fromMs !== 'function' || typeof m.unit !== 'string' || typeof m.name !== 'string')) fail("metric must be { name, unit, fromMs: (ms, point) => value }, e.g. { name: 'bandwidth', unit: 'GB/s', fromMs: (ms, { n }) => (12 * n) / ms / 1e6 }");
  }

  /** Times every provider at every x value; returns the results (perfReport prints and writes them). */
  run(): BenchmarkResult {
    const { x, args = {}, providers, metric = timeMetric, bench = {} } = this.options;
    const xNames = typeof x.name === 'string' ? [x.name] : [...x.name];
    const series = Object.entries(providers).map(([provider, make]) => ({
      provider,
      points: x.values.map((value): BenchmarkPointResult => {
        const point: BenchmarkPoint = { ...args, ...Object.fromEntries(xNames.map((n) => [n, value])) };
        const where = `benchmark '${this.name}', provider '${provider}' at ${xNames.join('=')}=${value}`;
        let result: BenchResult;
        try {
          const fn = make(point);
          if (typeof fn !== 'function') throw new TypeError(`the provider returned ${typeof fn}, not the function to time`);
          result = doBench(fn, { ...bench, quantiles: [0.2, 0.8] });
        } catch (e) {
          throw new BenchmarkError(where, e);
        }
        const [q20, q80] = result.quantilesMs as [number, number];
        const ends = [metric.fromMs(q20, point), metric.fromMs(q80, point)];
        return { x: value, value: metric.fromMs(result.medianMs, point), low: Math.min(...ends), high: Math.max(...ends), bench: result };
      }),
    }));
    return { name: this.name, title: this.options.title ?? this.name, xNames, xLog: x.log === true, metric: { name: metric.name, unit: metric.unit }, series };
  }
}

/** A value with 4 significant digits, without an exponent below 1e21. */
const short = (v: number): string => String(Number(v.toPrecision(4)));

/** How each provider was timed, for the table's and the chart's notes: `kt: GPU events; js: wall clock`. */
function timers(r: BenchmarkResult): string {
  return r.series.map((s) => `${s.provider}: ${[...new Set(s.points.map((p) => (p.bench.timer === 'gpu' ? 'GPU events' : 'wall clock')))].join(' and ')}`).join('; ');
}

/** The result as a table: a row per x value, a column per provider, the metric at the median time. */
function benchmarkTable(r: BenchmarkResult): string {
  const rows = r.series[0]!.points.map((_, i) => [...r.xNames.map(() => String(r.series[0]!.points[i]!.x)), ...r.series.map((s) => short(s.points[i]!.value))]);
  const header = [...r.xNames, ...r.series.map((s) => s.provider)];
  const right = new Set(header.map((_, i) => i));
  return [`${r.title}: ${r.metric.name} in ${r.metric.unit} (median; timed with ${timers(r)})`, ...formatColumns([header, ...rows], right)].join('\n');
}

/** A CSV field, quoted when it holds a comma, a quote or a line break. */
const csvField = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** The result as CSV: the x value under each of its names, then the metric at the median time per provider. */
function benchmarkCsv(r: BenchmarkResult): string {
  const header = [...r.xNames, ...r.series.map((s) => `${s.provider} (${r.metric.unit})`)];
  const rows = r.series[0]!.points.map((p, i) => [...r.xNames.map(() => String(p.x)), ...r.series.map((s) => String(s.points[i]!.value))]);
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\n')}\n`;
}

/** The result as an SVG line chart: a line per provider, its 20th to 80th percentile band, axes with units, a legend. */
function benchmarkSvg(r: BenchmarkResult): string {
  return lineChartSvg({
    title: r.title,
    subtitle: `lines: median; bands: 20th to 80th percentile (timed with ${timers(r)})`,
    xLabel: r.xNames.join(' = '),
    yLabel: `${r.metric.name} (${r.metric.unit})`,
    xLog: r.xLog,
    series: r.series.map((s) => ({ name: s.provider, points: s.points.map((p) => ({ x: p.x, y: p.value, low: p.low, high: p.high })) })),
  });
}

export interface PerfReportOptions {
  /** A directory for each benchmark's <name>.csv and <name>.svg (made if missing); without it no file is written. */
  readonly out?: string;
  /** Print each benchmark's table when it is done (default true). */
  readonly print?: boolean;
}

export interface PerfReport {
  readonly result: BenchmarkResult;
  /** The files written, when `out` was given. */
  readonly files?: { readonly csv: string; readonly svg: string };
}

/** Runs benchmarks one after the other: prints each one's table when it is done, and writes its CSV and SVG chart into `out`. */
export function perfReport(benchmarks: Benchmark | readonly Benchmark[], options: PerfReportOptions = {}): PerfReport[] {
  const list = benchmarks instanceof Benchmark ? [benchmarks] : [...benchmarks];
  const print = (text: string): void => {
    if (options.print !== false) console.log(text);
  };
  return list.map((b) => {
    const result = b.run();
    print(benchmarkTable(result));
    if (options.out === undefined) {
      print('');
      return { result };
    }
    fs.mkdirSync(options.out, { recursive: true });
    const files = { csv: path.join(options.out, `${b.name}.csv`), svg: path.join(options.out, `${b.name}.svg`) };
    fs.writeFileSync(files.csv, benchmarkCsv(result));
    fs.writeFileSync(files.svg, benchmarkSvg(result));
    print(`wrote ${files.csv} and ${files.svg}\n`);
    return { result, files };
  });
}
