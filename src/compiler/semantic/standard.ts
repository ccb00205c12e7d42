// Library functions built from the language's core operations, as Triton's standard.py builds its own: flip and
// sort from gathers, cat and interleave from join, permute and reshape, swizzle2d from integer arithmetic. They add
// no ops to the IR, so every tier runs them as it runs their parts. histogram is an op of its own (tt.histogram),
// which this module only prepares for.
import { dtypes } from './dtype.ts';
import { SemanticError } from './errors.ts';
import { normalizeAxis } from './reduce.ts';
import type { Semantic } from './semantic.ts';
import { Constexpr, KType, TValue, type Operand } from './values.ts';

/** The positions 0..n-1 along dimension `axis` of a rank-`rank` tile: arange(0, n) with size-1 dimensions around it. */
function positions(s: Semantic, n: number, axis: number, rank: number): TValue {
  let v = s.arange(0, n);
  for (let d = 0; d < rank; d++) if (d !== axis) v = s.expandDims(v, d);
  return v;
}

function tileOf(x: TValue, what: string): readonly number[] {
  if (!x.type.isBlock) throw new SemanticError(`${what} needs a tile, got ${x.type}`);
  return x.type.shape;
}

/** The tile reversed along `dim` (the last dimension when null): one gather of positions n-1, ..., 0. */
export function flip(s: Semantic, x: TValue, dim: number | null): TValue {
  const shape = tileOf(x, 'flip');
  const d = normalizeAxis(dim ?? shape.length - 1, shape.length);
  const n = shape[d]!;
  if (n === 1) return x;
  const reversed = s.sub(new Constexpr(n - 1), positions(s, n, d, shape.length));
  return s.gather(x, s.broadcastTo(reversed, shape), d);
}

/**
 * Sorts along `dim` (the last dimension when null) with a bitonic network: log2(n) (log2(n) + 1) / 2 rounds, each
 * a gather of every element's partner and a compare-exchange. Floats sort as NumPy sorts them: NaN after every
 * number (first when descending); the sort is not stable, which only -0.0 and 0.0 (equal) can show.
 */
export function sort(s: Semantic, x: TValue, dim: number | null, descending: boolean): TValue {
  const shape = tileOf(x, 'sort');
  if (x.type.isPointer) throw new SemanticError('sort cannot order pointers', 'sort their offsets instead');
  const d = normalizeAxis(dim ?? shape.length - 1, shape.length);
  const n = shape[d]!;
  const i = positions(s, n, d, shape.length);
  const isFloat = x.type.dtype.isFloat;
  // a after b in the order: greater, or (NaN last) a NaN where b is a number.
  const after = (a: TValue, b: TValue): TValue =>
    isFloat ? s.logicalOr(s.compare('>', a, b), s.logicalAnd(s.compare('!=', a, a), s.compare('==', b, b))) : s.compare('>', a, b);
  let y = x;
  for (let size = 2; size <= n; size *= 2) {
    // Blocks of `size` elements go up and down in turn, so that each pair of them is bitonic for the next round;
    // the last round, one block, goes the way asked.
    const down = size < n ? s.compare('!=', s.and(i, new Constexpr(size)), new Constexpr(0)) : undefined;
    for (let stride = size / 2; stride >= 1; stride /= 2) {
      const partner = s.gather(y, s.broadcastTo(s.xor(i, new Constexpr(stride)), shape), d);
      const isLow = s.compare('==', s.and(i, new Constexpr(stride)), new Constexpr(0));
      const [lo, hi] = [s.where(isLow, y, partner), s.where(isLow, partner, y)];
      // In a block going down, the pair swaps unless it is in order the other way (equal elements may swap, unseen).
      const swap = down ? s.xor(after(lo, hi), down) : descending ? after(hi, lo) : after(lo, hi);
      y = s.where(swap, partner, y);
    }
  }
  return y;
}

/**
 * Triton's cat: `b` after `a` along dimension 0 (NumPy's concatenate). Triton may give the elements in any order
 * (and asks for canReorder); kt always gives this one.
 */
export function cat(s: Semantic, a: TValue, b: TValue): TValue {
  const shape = tileOf(a, 'cat');
  if (b.type.shape.join() !== shape.join()) throw new SemanticError(`cat needs tiles of one shape, got ${a.type} and ${b.type}`, 'the result must have a power-of-two size, so cat joins tiles of one shape');
  const rank = shape.length;
  // join gives [..., 2], the operand last; moving that dimension first puts a's elements before b's.
  const stacked = s.permute(s.join(a, b), [rank, ...shape.map((_, i) => i)]);
  return s.reshape(stacked, [2 * shape[0]!, ...shape.slice(1)]);
}

/** Triton's interleave: a[0], b[0], a[1], b[1], ... along the last dimension (join, then the last two dimensions merged). */
export function interleave(s: Semantic, a: TValue, b: TValue): TValue {
  const joined = s.join(a, b);
  const shape = joined.type.shape;
  // Two scalars interleave into a [2] tile.
  if (shape.length === 1) return joined;
  return s.reshape(joined, [...shape.slice(0, -2), 2 * shape[shape.length - 2]!]);
}

/**
 * Triton's swizzle2d: maps the indices (i, j) of a row-major size_i x size_j grid to those of a grid ordered in
 * groups of size_g rows, column by column within a group (the grouped program order of a matmul).
 */
export function swizzle2d(s: Semantic, i: Operand, j: Operand, sizeI: Operand, sizeJ: Operand, sizeG: Operand): [TValue, TValue] {
  const ij = s.add(s.mul(i, sizeJ), j);
  const sizeGJ = s.mul(sizeG, sizeJ);
  const offI = s.mul(s.floordiv(ij, sizeGJ), sizeG);
  // The last group may have fewer rows.
  const rows = s.minimum(s.sub(sizeI, offI), sizeG);
  const inGroup = s.mod(ij, sizeGJ);
  return [s.add(offI, s.mod(inGroup, rows)), s.floordiv(inGroup, rows)];
}

/**
 * Triton's histogram: for each bin b in [0, numBins), how many elements of the 1-D integer tile `x` equal b where
 * `mask` holds (an i32 tile [numBins]); elements outside [0, numBins) are not counted.
 */
export function histogram(s: Semantic, x: TValue, numBins: number, mask: Operand | undefined): TValue {
  if (x.type.isPointer || !x.type.dtype.isInt || x.type.dtype.isBool || x.type.shape.length !== 1) throw new SemanticError(`histogram needs a 1-D tile of integers, got ${x.type}`);
  s.validateShape([numBins], 'the histogram');
  let m = mask === undefined ? s.full(x.type.shape, new Constexpr(true), dtypes.i1) : s.broadcastTo(s.toBool(mask), x.type.shape);
  // The op counts i32 values in range; 64-bit values could wrap into it, so they are kept out here.
  if (x.type.dtype.bits === 64) m = s.logicalAnd(m, s.logicalAnd(s.compare('>=', x, new Constexpr(0)), s.compare('<', x, new Constexpr(numBins))));
  const rt = new KType(dtypes.i32, [numBins]);
  return new TValue(s.b.value('tt.histogram', [s.cast(x, dtypes.i32).ir, m.ir], rt.ir), rt);
}
