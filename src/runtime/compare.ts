// Element-by-element comparison of a kernel's output with expected values, as np.allclose does it:
// |got - want| <= atol + rtol * |want|, NaN only where NaN is expected.
import type { Expected, Tolerance } from '../dsl/spec.ts';
import type { Tensor } from './tensor.ts';

export interface Mismatch {
  readonly index: readonly number[];
  readonly got: number;
  readonly want: number;
}

export interface Comparison {
  readonly total: number;
  readonly mismatches: number;
  readonly maxAbsError: number;
  readonly maxRelError: number;
  /** The first few mismatching elements, in order. */
  readonly first: readonly Mismatch[];
  readonly passed: boolean;
}

function unravel(i: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  let rest = i;
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(rest % shape[d]!);
    rest = Math.floor(rest / shape[d]!);
  }
  return idx;
}

/** Expected values of some elements of an output (by flat row-major index): for outputs too large to check whole. */
export interface SampledExpected {
  readonly indices: readonly number[];
  readonly values: readonly number[];
}

export const isSampled = (e: Expected | SampledExpected): e is SampledExpected => !('length' in e) && Array.isArray((e as SampledExpected).indices);

const close = (g: number, w: number, tol: Tolerance): boolean =>
  Number.isNaN(w) || Number.isNaN(g) ? Number.isNaN(w) && Number.isNaN(g) : !Number.isFinite(w) || !Number.isFinite(g) ? g === w : Math.abs(g - w) <= tol.atol + tol.rtol * Math.abs(w);

/** Compares the sampled elements only (reading only them), as compare() does whole outputs. */
export function compareAt(out: Tensor, expected: SampledExpected, tol: Tolerance, keep = 10): Comparison {
  const got = out.valuesAt(expected.indices);
  let mismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const first: Mismatch[] = [];
  expected.indices.forEach((index, i) => {
    const [g, w] = [got[i]!, expected.values[i]!];
    if (Number.isFinite(g) && Number.isFinite(w)) {
      maxAbs = Math.max(maxAbs, Math.abs(g - w));
      if (w !== 0) maxRel = Math.max(maxRel, Math.abs(g - w) / Math.abs(w));
    }
    if (!close(g, w, tol) && mismatches++ < keep) first.push({ index: unravel(index, out.shape), got: g, want: w });
  });
  return { total: expected.indices.length, mismatches, maxAbsError: maxAbs, maxRelError: maxRel, first, passed: mismatches === 0 };
}

export function compare(out: Tensor, expected: Expected, tol: Tolerance, keep = 10): Comparison {
  const got = out.toArray() as ArrayLike<number | bigint>;
  if (got.length !== expected.length) throw new RangeError(`output has ${got.length} elements but ${expected.length} are expected`);
  let mismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const first: Mismatch[] = [];
  for (let i = 0; i < got.length; i++) {
    const g = Number(got[i]);
    const w = Number(expected[i]);
    if (Number.isFinite(w) && Number.isFinite(g)) {
      const err = Math.abs(g - w);
      maxAbs = Math.max(maxAbs, err);
      if (w !== 0) maxRel = Math.max(maxRel, err / Math.abs(w));
    }
    if (!close(g, w, tol)) {
      mismatches++;
      if (first.length < keep) first.push({ index: unravel(i, out.shape), got: g, want: w });
    }
  }
  return { total: got.length, mismatches, maxAbsError: maxAbs, maxRelError: maxRel, first, passed: mismatches === 0 };
}
