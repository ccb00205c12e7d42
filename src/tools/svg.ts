// Pieces of the SVG charts kt writes (the benchmark line charts; the tuner's bar chart could share them): text
// escaped for XML, round tick values for an axis, and short labels for them.
import { siPrefix } from '../autotune/report.ts';

export const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Round values for an axis over [lo, hi]: about `count` ticks (at most count + 2) at 1, 2 or 5 times a power of
 * ten, from the last at or below lo to the first at or above hi.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return lo === 0 ? [0, 1] : niceTicks(Math.min(0, lo), Math.max(0, lo));
  const power = 10 ** Math.floor(Math.log10((hi - lo) / count));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => (hi - lo) / s <= count + 1)!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  // Multiplying the step, not adding it up, keeps 0.1 * 3 from drifting to 0.30000000000000004 (toPrecision trims the rest).
  return Array.from({ length: last - first + 1 }, (_, i) => Number(((first + i) * step).toPrecision(12)));
}

/** A tick label: up to 4 significant digits, with an SI prefix from 10 000 on (65.54K, 1.049M). */
export function tickLabel(v: number): string {
  if (Math.abs(v) < 1e4) return String(Number(v.toPrecision(4)));
  const { prefix, scale } = siPrefix(Math.abs(v));
  return `${Number((v / scale).toPrecision(4))}${prefix}`;
}
