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
