// Parsing of the CLI's value arguments: sizes (`M=N=K=2**12`), configs (`BLOCK_M=64`) and signatures.
import type { Config, Sizes } from '../dsl/spec.ts';

/** A bad command line: reported with exit code 2 and no stack trace. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Splits on commas that are not inside parentheses (so `max(1, 2)` stays whole). */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(' || ch === '[') depth++;
    if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  return parts.map((p) => p.trim()).filter(Boolean);
}

let mathjs: typeof import('mathjs') | undefined;

/** Evaluates a number or an arithmetic expression (`2**12`, `4096/2`); mathjs loads only when needed. */
export async function evaluateNumber(expr: string, what: string): Promise<number> {
  const t = expr.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  mathjs ??= await import('mathjs');
  let v: unknown;
  try {
    v = mathjs.evaluate(t.replace(/\*\*/g, '^'));
  } catch (e) {
    throw new UsageError(`cannot evaluate ${what} '${expr}': ${(e as Error).message}`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`${what} '${expr}' is not a number`);
  return v;
}

/** Parses one or more `--size` values: `M=512,N=256`, `M=N=K=2**12`. */
export async function parseSizes(values: readonly string[]): Promise<Sizes> {
  const sizes: Sizes = {};
  for (const v of values) {
    for (const assignment of splitTop(v)) {
      const parts = assignment.split('=').map((p) => p.trim());
      const expr = parts.pop();
      if (!parts.length || !expr) throw new UsageError(`bad size '${assignment}'`, 'write NAME=value, e.g. --size M=512,N=512 or --size M=N=K=2**12');
      const n = await evaluateNumber(expr, `size ${parts.join('=')}`);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`size ${parts.join('=')} must be a positive integer, got ${n}`);
      // Beyond 2**53 integers are no longer exact in JavaScript (and no machine holds such a tensor).
      if (n > Number.MAX_SAFE_INTEGER) throw new UsageError(`size ${parts.join('=')} = ${expr} is too large`, 'sizes must be below 2**53 (memory runs out long before)');
      for (const name of parts) {
        if (!/^[A-Za-z_]\w*$/.test(name)) throw new UsageError(`bad size name '${name}'`);
        sizes[name] = n;
      }
    }
  }
  return sizes;
}

/** Parses `-c NAME=value` entries: numbers (or expressions), true/false, or strings. */
export async function parseConfig(values: readonly string[]): Promise<Config> {
  const config: Config = {};
  for (const v of values) {
    for (const entry of splitTop(v)) {
      const eq = entry.indexOf('=');
      if (eq < 1) throw new UsageError(`bad config entry '${entry}'`, 'write NAME=value, e.g. -c BLOCK_M=64');
      const name = entry.slice(0, eq).trim();
      const raw = entry.slice(eq + 1).trim();
      if (!/^[A-Za-z_]\w*$/.test(name)) throw new UsageError(`bad config name '${name}'`);
      if (raw === 'true' || raw === 'false') config[name] = raw === 'true';
      else if (/^["'].*["']$/.test(raw)) config[name] = raw.slice(1, -1);
      else if (/^[\d(]|^-\d/.test(raw)) config[name] = await evaluateNumber(raw, `config ${name}`);
      else config[name] = raw;
    }
  }
  return config;
}

/**
 * An integer option's value (`--seed 7`). Such options reach kt as text, not as yargs numbers, so that a bad
 * value is quoted as typed ('abc', not NaN) and a missing or repeated one is caught rather than read as 0.
 */
export function parseIntegerOption(option: string, value: unknown, range: { min: number; max?: number }): number {
  const { min, max = Number.MAX_SAFE_INTEGER } = range;
  const bounds = max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min}` : `an integer from ${min} to ${max}`;
  if (Array.isArray(value)) throw new UsageError(`${option} is given ${value.length} times (${value.join(', ')})`, `give it once, as ${bounds}`);
  const text = String(value ?? '').trim();
  if (!text) throw new UsageError(`${option} needs a value`, `give ${bounds}`);
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${option} must be ${bounds}, got '${text}'`);
  return n;
}

/** A repeatable option's values: none when it is not given; `--size` with nothing after it is refused. */
export function listOption(option: string, values: readonly string[] | undefined, example: string): string[] {
  if (values !== undefined && !values.length) throw new UsageError(`${option} needs a value`, `for example ${option} ${example}`);
  return [...(values ?? [])];
}

/** A single-valued option given more than once arrives as an array: refuse it rather than guess which one was meant. */
export function singleOption<T>(option: string, value: T | readonly T[]): T {
  if (Array.isArray(value)) throw new UsageError(`${option} is given ${value.length} times (${value.join(', ')})`, 'give it once');
  return value as T;
}

/**
 * Edit distance between two words: insertions, deletions, substitutions and swaps of neighbours each count
 * one (so 'lsit' is one from 'list', and 'sede' one from 'seed' but two from 'size').
 */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to a mistyped word, if one is close enough to be what was meant (case is ignored). */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const d = editDistance(w, name.toLowerCase());
    if (!best || d < best.distance) best = { name, distance: d };
  }
  // A third of the word's letters may be wrong: 'sede' finds 'seed', 'BLOK_M' finds 'BLOCK_M', 'xyz' finds nothing.
  return best && best.distance <= Math.max(1, Math.floor(word.length / 3)) ? best.name : undefined;
}

/** Bytes as people read them: 77.3 GB, 512.0 MB (decimal units, as memory is sold and as `--size` sizes grow). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = bytes;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${Math.round(v)} bytes` : `${v.toFixed(1)} ${units[i]}`;
}

/** A byte count as written in KT_MAX_MEMORY: `64GB`, `64G`, `500MB`, `16GiB` or a plain number of bytes. */
export function parseBytes(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(i)?b?)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`${what} must be a size such as 64GB, 500MB or 16GiB, got '${text}'`);
  const power = m[2] ? 'kmgtp'.indexOf(m[2].toLowerCase()) + 1 : 0;
  return Number(m[1]) * (m[3] ? 1024 : 1000) ** power;
}
