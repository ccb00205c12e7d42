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
  /** The few mismatching elements furthest from their expected values, furthest first (NaNs and infinities first of all). */
  readonly worst: readonly Mismatch[];
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

/** The first `keep` and the worst `keep` mismatches of a comparison, kept as they are found. */
class MismatchLog {
  readonly first: Mismatch[] = [];
  readonly worst: Mismatch[] = [];
  /** How far each of `worst` is from its expected value (infinite where either value is not finite). */
  private readonly distances: number[] = [];

  constructor(
    private readonly keep: number,
    private readonly shape: readonly number[],
  ) {}

  add(flatIndex: number, got: number, want: number): void {
    const d = Number.isFinite(got) && Number.isFinite(want) ? Math.abs(got - want) : Infinity;
    const early = this.first.length < this.keep;
    const worse = this.keep > 0 && (this.worst.length < this.keep || d > this.distances[this.distances.length - 1]!);
    if (!early && !worse) return;
    // The index is worked out only for mismatches that are kept.
    const m = { index: unravel(flatIndex, this.shape), got, want };
    if (early) this.first.push(m);
    if (!worse) return;
    let i = this.worst.length;
    while (i > 0 && this.distances[i - 1]! < d) i--;
    this.worst.splice(i, 0, m);
    this.distances.splice(i, 0, d);
    if (this.worst.length > this.keep) {
      this.worst.pop();
      this.distances.pop();
    }
  }
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
  const log = new MismatchLog(keep, out.shape);
  expected.indices.forEach((index, i) => {
    const [g, w] = [got[i]!, expected.values[i]!];
    if (Number.isFinite(g) && Number.isFinite(w)) {
      maxAbs = Math.max(maxAbs, Math.abs(g - w));
      if (w !== 0) maxRel = Math.max(maxRel, Math.abs(g - w) / Math.abs(w));
    }
    if (!close(g, w, tol)) {
      mismatches++;
      log.add(index, g, w);
    }
  });
  return { total: expected.indices.length, mismatches, maxAbsError: maxAbs, maxRelError: maxRel, first: log.first, worst: log.worst, passed: mismatches === 0 };
}

export function compare(out: Tensor, expected: Expected, tol: Tolerance, keep = 10): Comparison {
  const got = out.toArray() as ArrayLike<number | bigint>;
  if (got.length !== expected.length) throw new RangeError(`output has ${got.length} elements but ${expected.length} are expected`);
  let mismatches = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const log = new MismatchLog(keep, out.shape);
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
      log.add(i, g, w);
    }
  }
  return { total: got.length, mismatches, maxAbsError: maxAbs, maxRelError: maxRel, first: log.first, worst: log.worst, passed: mismatches === 0 };
}
