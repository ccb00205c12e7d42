// An SVG line chart that opens in a browser: one line per series over a shared x axis (linear or logarithmic),
// a shaded band per line where the points carry a range (the benchmarks' 20th to 80th percentiles), axes with
// round ticks, their labels with units, and a legend.
import { escapeXml, niceTicks, tickLabel } from './svg.ts';

export interface ChartPoint {
  readonly x: number;
  readonly y: number;
  /** A range around y (drawn as a band), when known. */
  readonly low?: number;
  readonly high?: number;
}

export interface ChartSeries {
  readonly name: string;
  readonly points: readonly ChartPoint[];
}

export interface LineChart {
  readonly title: string;
  /** A line under the title (what the band means, say). */
  readonly subtitle?: string;
  /** The axes' labels, with their units. */
  readonly xLabel: string;
  readonly yLabel: string;
  /** A logarithmic x axis (for sizes that double). */
  readonly xLog?: boolean;
  readonly series: readonly ChartSeries[];
}

/** Colours that stay apart for the common colour-vision deficiencies (Okabe and Ito's), then more. */
const palette = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000', '#999999', '#882255'];

const WIDTH = 820;
const HEIGHT = 480;
const plot = { left: 84, top: 64, right: WIDTH - 200, bottom: HEIGHT - 64 };

/** Labels for a logarithmic axis: the x values themselves (thinned to about 10), as 2^k when they are all powers of two. */
function logTicks(xs: readonly number[]): { value: number; label: string }[] {
  const values = [...new Set(xs)].sort((a, b) => a - b);
  const every = Math.ceil(values.length / 10);
  const shown = values.filter((_, i) => i % every === 0);
  const powersOfTwo = values.every((v) => Number.isInteger(Math.log2(v))) && values[values.length - 1]! >= 1024;
  return shown.map((v) => ({ value: v, label: powersOfTwo ? `2^${Math.log2(v)}` : tickLabel(v) }));
}

export function lineChartSvg(chart: LineChart): string {
  const points = chart.series.flatMap((s) => s.points);
  const xs = points.map((p) => p.x);
  const log = chart.xLog === true && xs.every((x) => x > 0);
  const yTicks = niceTicks(0, Math.max(0, ...points.flatMap((p) => [p.y, p.high ?? p.y]).filter(Number.isFinite)));
  const xTicks = log ? logTicks(xs) : niceTicks(Math.min(...xs), Math.max(...xs)).map((v) => ({ value: v, label: tickLabel(v) }));
  const t = (x: number): number => (log ? Math.log(x) : x);
  const [x0, x1] = log ? [t(Math.min(...xs)), t(Math.max(...xs))] : [xTicks[0]!.value, xTicks[xTicks.length - 1]!.value];
  const sx = (x: number): number => plot.left + (x1 > x0 ? ((t(x) - x0) / (x1 - x0)) * (plot.right - plot.left) : (plot.right - plot.left) / 2);
  const yMax = yTicks[yTicks.length - 1]!;
  const sy = (y: number): number => plot.bottom - (y / yMax) * (plot.bottom - plot.top);
  const xy = (x: number, y: number): string => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${plot.left}" y="24" font-size="16" font-weight="bold">${escapeXml(chart.title)}</text>`,
  ];
  if (chart.subtitle) parts.push(`<text x="${plot.left}" y="44" fill="#555">${escapeXml(chart.subtitle)}</text>`);
  for (const y of yTicks) {
    parts.push(`<line x1="${plot.left}" y1="${sy(y).toFixed(1)}" x2="${plot.right}" y2="${sy(y).toFixed(1)}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${plot.left - 8}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end" fill="#444">${escapeXml(tickLabel(y))}</text>`);
  }
  for (const { value, label } of xTicks) {
    parts.push(`<line x1="${sx(value).toFixed(1)}" y1="${plot.top}" x2="${sx(value).toFixed(1)}" y2="${plot.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${sx(value).toFixed(1)}" y="${plot.bottom + 18}" text-anchor="middle" fill="#444">${escapeXml(label)}</text>`);
  }
  parts.push(`<polyline points="${plot.left},${plot.top} ${plot.left},${plot.bottom} ${plot.right},${plot.bottom}" fill="none" stroke="#666"/>`);
  parts.push(`<text x="${(plot.left + plot.right) / 2}" y="${HEIGHT - 20}" text-anchor="middle">${escapeXml(chart.xLabel + (log ? ' (log scale)' : ''))}</text>`);
  const midY = (plot.top + plot.bottom) / 2;
  parts.push(`<text x="20" y="${midY}" text-anchor="middle" transform="rotate(-90 20 ${midY})">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((s, i) => {
    const colour = palette[i % palette.length]!;
    const drawn = s.points.filter((p) => Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const banded = drawn.filter((p) => p.low !== undefined && p.high !== undefined);
    if (banded.length > 1) {
      const outline = [...banded.map((p) => xy(p.x, p.high!)), ...[...banded].reverse().map((p) => xy(p.x, p.low!))];
      parts.push(`<polygon points="${outline.join(' ')}" fill="${colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    parts.push(`<polyline points="${drawn.map((p) => xy(p.x, p.y)).join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of drawn) {
      const range = p.low !== undefined && p.high !== undefined ? ` (${tickLabel(p.low)} to ${tickLabel(p.high)})` : '';
      parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${colour}"><title>${escapeXml(`${s.name}: ${tickLabel(p.x)} -> ${tickLabel(p.y)}${range}`)}</title></circle>`);
    }
    const ly = plot.top + 10 + i * 20;
    parts.push(`<line x1="${plot.right + 20}" y1="${ly}" x2="${plot.right + 44}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`);
    parts.push(`<text x="${plot.right + 50}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
