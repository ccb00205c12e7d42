// assertClose: torch.testing.assert_close in kt's words. Passes when every element of `actual` is within
// atol + rtol * |expected| of `expected` (NaN only where NaN is expected, infinities only where the same infinity
// is), with tolerances by dtype unless given; otherwise throws an AssertionError that says how many elements
// differ, by how much at most, and lists the worst of them with their indices.
import { AssertionError } from 'node:assert';
import { defaultTolerance, type Expected, type Tolerance } from '../dsl/spec.ts';
import { compare, type Comparison } from '../runtime/compare.ts';
import { Tensor } from '../runtime/tensor.ts';
import { formatColumns } from './text-table.ts';

export interface CloseOptions {
  /** Absolute tolerance (default: by dtype, as kt run's: 1e-5 for f32, 1e-2 for f16, 5e-2 for bf16, 0 for integers). */
  atol?: number;
  /** Relative tolerance (default: by dtype: 1e-4 for f32, 1e-2 for f16, 5e-2 for bf16, 0 for integers). */
  rtol?: number;
  /** How many of the worst mismatches the message lists (default 10). */
  show?: number;
}

const shapeOf = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * The tolerance for a comparison: the options' where given, else the defaults of the dtypes compared (the looser
 * of the two, when the expected values are a tensor of another dtype).
 */
function toleranceFor(actual: Tensor, expected: unknown, options: CloseOptions): { tol: Tolerance; source: string } {
  const dtypes = [actual.dtype.name, ...(expected instanceof Tensor && expected.dtype !== actual.dtype ? [expected.dtype.name] : [])];
  const defaults = dtypes.map(defaultTolerance);
  const tol = {
    atol: options.atol ?? Math.max(...defaults.map((d) => d.atol)),
    rtol: options.rtol ?? Math.max(...defaults.map((d) => d.rtol)),
  };
  const given = [options.atol !== undefined && 'atol', options.rtol !== undefined && 'rtol'].filter(Boolean);
  const source = given.length === 2 ? 'as given' : `${given.length ? `${given[0]} as given, the other ` : ''}by dtype: ${dtypes.join(' and ')}`;
  return { tol, source };
}

function mismatchMessage(c: Comparison, actual: Tensor, tol: Tolerance, source: string): string {
  const percent = ((c.mismatches / c.total) * 100).toPrecision(3);
  const rows = c.worst.map((m) => [`[${m.index.join(', ')}]`, String(m.got), String(m.want), String(Math.abs(m.got - m.want))]);
  const lines = [
    `tensors are not close: ${c.mismatches} of ${c.total} elements (${percent}%) differ by more than atol + rtol * |expected| (atol ${tol.atol}, rtol ${tol.rtol}; ${source})`,
    `greatest absolute difference ${c.maxAbsError}, greatest relative difference ${c.maxRelError} (over finite elements; actual is ${actual.dtype.name} ${shapeOf(actual.shape)})`,
  ];
  if (!rows.length) return lines.join('\n');
  lines.push(c.worst.length === c.mismatches ? 'the mismatches, worst first:' : `the ${c.worst.length} worst mismatches:`);
  lines.push(...formatColumns([['index', 'actual', 'expected', '|difference|'], ...rows], new Set([1, 2, 3])).map((l) => `  ${l}`));
  return lines.join('\n');
}

/**
 * Checks that `actual` is close to `expected` (a tensor of the same shape, or the values in row-major order):
 * `assertClose(out, x.toNumbers().map(Math.exp))`, `assertClose(gpuOut, interpreterOut, { rtol: 1e-3 })`.
 */
export function assertClose(actual: Tensor, expected: Tensor | Expected, options: CloseOptions = {}): void {
  if (!(actual instanceof Tensor)) throw new TypeError('assertClose: actual must be a Tensor (make one from values with tensor([...]))');
  for (const name of ['atol', 'rtol'] as const) {
    const v = options[name];
    if (v !== undefined && !(v >= 0)) throw new RangeError(`assertClose: ${name} must be a number, 0 or more; got ${v}`);
  }
  const show = options.show ?? 10;
  if (!Number.isInteger(show) || show < 0) throw new RangeError(`assertClose: show must be a count of mismatches to list, got ${show}`);
  let want: Expected;
  if (expected instanceof Tensor) {
    if (expected.shape.length !== actual.shape.length || expected.shape.some((d, i) => d !== actual.shape[i])) {
      throw new AssertionError({ message: `tensors are not close: their shapes differ: actual ${shapeOf(actual.shape)}, expected ${shapeOf(expected.shape)}` });
    }
    want = expected.toArray() as Expected;
  } else {
    if (expected?.length !== actual.numel) {
      throw new AssertionError({ message: `tensors are not close: actual has ${actual.numel} elements (shape ${shapeOf(actual.shape)}) but ${expected?.length ?? 'no'} values are expected` });
    }
    want = expected;
  }
  const { tol, source } = toleranceFor(actual, expected, options);
  const c = compare(actual, want, tol, show);
  if (!c.passed) throw new AssertionError({ message: mismatchMessage(c, actual, tol, source) });
}
