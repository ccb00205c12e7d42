// What a tuning run reports: a table sorted by time (with throughput from the spec's FLOPs or bytes), the
// excluded configs with their reasons, a JSON file with every measurement, and an SVG chart of the
// candidates' throughput that opens in a browser.
import { escapeXml, niceTicks } from '../tools/svg.ts';
import { formatColumns } from '../tools/text-table.ts';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../dsl/spec.ts';
import { configKey } from './space.ts';
import type { ExcludedResult, MeasuredResult } from './records.ts';
import type { TuneOutcome } from './tuner.ts';

/** How a config's time converts to throughput: the problem's FLOPs and/or bytes. */
export interface Work {
  readonly flops?: number;
  readonly bytes?: number;
}

/** The parameters whose values differ between configs (the others are shown once, as fixed). */
export function varyingParams(configs: readonly Config[]): string[] {
  const names = [...new Set(configs.flatMap((c) => Object.keys(c)))];
  return names.filter((n) => new Set(configs.map((c) => String(c[n]))).size > 1);
}

export function formatConfig(config: Config, names: readonly string[] = Object.keys(config)): string {
  return names.map((n) => `${n}=${String(config[n])}`).join(' ');
}

/** The SI prefix that writes `value` with 1 to 3 digits before the point (up to P): 1.7e6 -> M, 1e6. */
export function siPrefix(value: number): { prefix: string; scale: number } {
  const prefixes = ['', 'K', 'M', 'G', 'T', 'P'];
  let i = 0;
  while (i < prefixes.length - 1 && value >= 1000 ** (i + 1)) i++;
  return { prefix: prefixes[i]!, scale: 1000 ** i };
}

/**
 * A throughput unit for this work, scaled to the fastest time (TFLOP/s for a big matmul, MFLOP/s for a small
 * one): FLOP/s where the work does many operations per byte, else bytes per second (softmax, layernorm).
 */
export function throughputUnit(work: Work, bestMs: number): { unit: string; perMs: (ms: number) => number } | undefined {
  const byFlops = work.flops !== undefined && work.flops > 0 && (!work.bytes || work.flops / work.bytes >= 10);
  const total = byFlops ? work.flops : work.bytes;
  if (!total) return undefined;
  const base = byFlops ? 'FLOP/s' : 'B/s';
  const rate = (ms: number): number => (total / ms) * 1000;
  const { prefix, scale } = siPrefix(rate(bestMs));
  return { unit: `${prefix}${base}`, perMs: (ms) => rate(ms) / scale };
}

const measured = (o: TuneOutcome): MeasuredResult[] =>
  o.results.filter((r): r is MeasuredResult & { cached: boolean } => r.status === 'ok').sort((a, b) => a.medianMs - b.medianMs);
const excluded = (o: TuneOutcome): ExcludedResult[] => o.results.filter((r): r is ExcludedResult & { cached: boolean } => r.status === 'excluded');

/**
 * Whether a result cannot be told apart from the best by its measurements: their medians lie within each other's
 * spread (half the interquartile range either side), so which is faster is noise.
 */
export function tiesWithBest(r: MeasuredResult, best: MeasuredResult): boolean {
  return r.medianMs * (1 - r.spread) <= best.medianMs * (1 + best.spread);
}

/** Whether `r` is the run's best: the fastest, or the final round's winner where one was held. */
function isBestOf(o: TuneOutcome, r: MeasuredResult): boolean {
  return o.best !== undefined && configKey(r.config) === configKey(o.best.config);
}

/**
 * The result table: measured configs sorted by their first-pass times (ties with the fastest marked; the final
 * round's contenders with their sustained times, its winner as the best), then the excluded configs with their
 * reasons.
 */
export function resultTable(o: TuneOutcome, work: Work): string {
  const lines: string[] = [];
  const all = o.results.map((r) => r.config);
  const names = varyingParams(all);
  const fixed = all.length ? Object.keys(all[0]!).filter((n) => !names.includes(n)) : [];
  if (fixed.length) lines.push(`fixed: ${formatConfig(all[0]!, fixed)}`);
  const ok = measured(o);
  if (ok.length) {
    const fastest = ok[0]!.medianMs;
    const tu = throughputUnit(work, fastest);
    const unit = tu?.unit;
    const decided = ok.some((r) => r.sustained);
    const rows = [['#', 'config', 'median ms', 'spread', ...(unit ? [unit] : []), '% of fastest', 'runs', '']];
    ok.forEach((r, i) => {
      const tp = tu && { value: tu.perMs(r.medianMs) };
      const notes = [
        decided && isBestOf(o, r) ? 'BEST' : '',
        i > 0 && tiesWithBest(r, ok[0]!) ? 'tie with #1' : '',
        r.sustained ? `final round ${r.sustained.medianMs.toFixed(4)} ms ±${(r.sustained.spread * 100).toFixed(1)}%` : '',
        (r as MeasuredResult & { cached?: boolean }).cached ? 'cached' : '',
      ].filter(Boolean).join(', ');
      rows.push([String(i + 1), formatConfig(r.config, names), r.medianMs.toFixed(4), `±${(r.spread * 100).toFixed(1)}%`, ...(tp ? [tp.value.toFixed(2)] : []), `${((fastest / r.medianMs) * 100).toFixed(1)}%`, String(r.runs), notes]);
    });
    const right = new Set([0, 2, 3, ...(unit ? [4, 5, 6] : [4, 5])]);
    lines.push(...formatColumns(rows, right));
    if (decided) {
      lines.push(
        'final round: the fastest configs timed again in turns, back to back, as a long-running workload keeps the GPU (its clocks fall); ' +
          'the fastest there is the best (its times are not comparable with the first pass above)',
      );
    }
  } else lines.push('no config ran correctly');
  const bad = excluded(o);
  if (bad.length) {
    lines.push('', `excluded (${bad.length}):`);
    for (const r of bad) lines.push(`  ${formatConfig(r.config, names)}  [${r.stage}] ${r.reason}`);
  }
  return lines.join('\n');
}

export interface ReportFiles {
  readonly json: string;
  readonly svg: string;
}

/** The JSON report: the problem, the timing split, and every result. */
function reportJson(o: TuneOutcome, work: Work, extra: Record<string, unknown> = {}): unknown {
  return {
    identity: o.identity,
    strategy: o.strategy,
    spaceSize: o.spaceSize,
    timing: o.timing,
    ...extra,
    best: o.best ?? null,
    work,
    results: o.results.map((r) => ({ ...r, ...(r.status === 'ok' ? { flopsPerSecond: work.flops ? (work.flops / r.medianMs) * 1000 : null, bytesPerSecond: work.bytes ? (work.bytes / r.medianMs) * 1000 : null } : {}) })),
  };
}


/**
 * A horizontal bar chart of every measured config's throughput (or speed relative to the best), best first: an
 * axis with its unit, the interquartile range of each measurement as whiskers, the best bar and its statistical
 * ties marked, the parameters held fixed under the title.
 */
function reportSvg(o: TuneOutcome, work: Work, title: string): string {
  const ok = measured(o);
  const all = o.results.map((r) => r.config);
  const names = varyingParams(all);
  const fixed = all.length ? Object.keys(all[0]!).filter((n) => !names.includes(n)) : [];
  const tu = ok.length ? throughputUnit(work, ok[0]!.medianMs) : undefined;
  const unit = tu?.unit ?? '% of best';
  const at = (ms: number): number => tu?.perMs(ms) ?? (ok[0]!.medianMs / ms) * 100;
  const value = (r: MeasuredResult): number => at(r.medianMs);
  // Whiskers: the throughput at the interquartile range's ends (a slower time gives the lower end).
  const whisker = (r: MeasuredResult): [number, number] => [at(r.medianMs * (1 + r.spread)), at(r.medianMs * Math.max(1e-9, 1 - r.spread))];
  const ticks = niceTicks(0, ok.length ? Math.max(...ok.map((r) => whisker(r)[1])) : 1);
  const axisMax = ticks[ticks.length - 1]!;
  const labels = ok.map((r) => formatConfig(r.config, names));
  const labelWidth = Math.min(520, 40 + 7 * Math.max(10, ...labels.map((l) => l.length)));
  const barWidth = 460;
  const rowHeight = 18;
  const subtitle = `${ok.length} configs measured, ${excluded(o).length} excluded; bars: ${unit} (median), whiskers: interquartile range; best in green (the final round's winner where one was held), ties with the fastest in light green`;
  const fixedLine = fixed.length ? `fixed: ${formatConfig(all[0]!, fixed)}` : '';
  const top = fixedLine ? 74 : 56;
  const bad = excluded(o);
  const axisY = top + ok.length * rowHeight + 4;
  const height = axisY + 40 + (bad.length ? 20 + bad.length * 15 : 0);
  // Wide enough for the bars and their labels, and for the title and subtitle (monospace: about 9 and 7 px per character).
  const width = Math.max(labelWidth + barWidth + 140, 20 + 9 * title.length, 20 + 7 * Math.max(subtitle.length, fixedLine.length));
  const x = (v: number): number => labelWidth + (v / axisMax) * barWidth;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="monospace" font-size="12">`);
  parts.push(`<rect width="100%" height="100%" fill="white"/>`);
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<text x="10" y="40" fill="#555">${escapeXml(subtitle)}</text>`);
  if (fixedLine) parts.push(`<text x="10" y="58" fill="#555">${escapeXml(fixedLine)}</text>`);
  for (const t of ticks) {
    parts.push(`<line x1="${x(t).toFixed(1)}" y1="${top}" x2="${x(t).toFixed(1)}" y2="${axisY}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${x(t).toFixed(1)}" y="${axisY + 14}" text-anchor="middle" fill="#555">${escapeXml(String(Number(t.toPrecision(6))))}</text>`);
  }
  parts.push(`<line x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + barWidth}" y2="${axisY}" stroke="#888"/>`);
  parts.push(`<text x="${labelWidth + barWidth / 2}" y="${axisY + 30}" text-anchor="middle">${escapeXml(unit)}</text>`);
  ok.forEach((r, i) => {
    const y = top + i * rowHeight;
    const v = value(r);
    const w = Math.max(1, x(v) - labelWidth);
    const fill = isBestOf(o, r) ? '#2a9d3a' : tiesWithBest(r, ok[0]!) ? '#8fd19a' : '#4a78c2';
    const [lo, hi] = whisker(r);
    parts.push(`<text x="${labelWidth - 8}" y="${y + 13}" text-anchor="end">${escapeXml(labels[i]!)}</text>`);
    parts.push(`<rect x="${labelWidth}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowHeight - 4}" fill="${fill}"><title>${escapeXml(`${r.medianMs.toFixed(4)} ms ±${(r.spread * 100).toFixed(1)}% over ${r.runs} runs`)}</title></rect>`);
    parts.push(`<line x1="${x(lo).toFixed(1)}" y1="${y + rowHeight / 2}" x2="${x(hi).toFixed(1)}" y2="${y + rowHeight / 2}" stroke="#222"/>`);
    parts.push(`<text x="${(Math.max(x(hi), labelWidth + w) + 6).toFixed(1)}" y="${y + 13}">${escapeXml(`${v.toFixed(2)} (${r.medianMs.toFixed(3)} ms)`)}</text>`);
  });
  if (bad.length) {
    let y = axisY + 50;
    parts.push(`<text x="10" y="${y}" font-weight="bold">excluded</text>`);
    for (const r of bad) {
      y += 15;
      parts.push(`<text x="10" y="${y}" fill="#a33">${escapeXml(`${formatConfig(r.config, names)}  [${r.stage}] ${r.reason}`.slice(0, 200))}</text>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Writes the JSON report and the SVG chart as `<dir>/<base>.json` and `.svg`. */
export function writeReports(dir: string, base: string, o: TuneOutcome, work: Work, title: string, extra?: Record<string, unknown>): ReportFiles {
  fs.mkdirSync(dir, { recursive: true });
  const files = { json: path.join(dir, `${base}.json`), svg: path.join(dir, `${base}.svg`) };
  fs.writeFileSync(files.json, JSON.stringify(reportJson(o, work, extra), null, 2));
  fs.writeFileSync(files.svg, reportSvg(o, work, title));
  return files;
}
