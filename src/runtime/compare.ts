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
    let ok: boolean;
    if (Number.isNaN(w) || Number.isNaN(g)) ok = Number.isNaN(w) && Number.isNaN(g);
    else if (!Number.isFinite(w) || !Number.isFinite(g)) ok = g === w;
    else {
      const err = Math.abs(g - w);
      maxAbs = Math.max(maxAbs, err);
      if (w !== 0) maxRel = Math.max(maxRel, err / Math.abs(w));
      ok = err <= tol.atol + tol.rtol * Math.abs(w);
    }
    if (!ok) {
      mismatches++;
      if (first.length < keep) first.push({ index: unravel(i, out.shape), got: g, want: w });
    }
  }
  return { total: got.length, mismatches, maxAbsError: maxAbs, maxRelError: maxRel, first, passed: mismatches === 0 };
}
