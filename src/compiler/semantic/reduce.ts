// Reductions and scans: the generic tt.reduce / tt.scan with a combine region, and the standard ones
// (sum, max, argmax, cumsum, ...) built on them with Triton's dtype rules.
import { Block, Region } from '../ir/core.ts';
import { SemanticError } from './errors.ts';
import { dtypes, type DType } from './dtype.ts';
import type { Semantic } from './semantic.ts';
import { KType, TValue } from './values.ts';

/** Builds the combine function's body: given the accumulated values and the next ones, returns the combination. */
export type Combine = (accs: TValue[], xs: TValue[]) => TValue[];

export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new SemanticError(`axis ${axis} is out of range for a rank-${rank} tile`);
  return a;
}

function checkSameShape(inputs: TValue[], what: string): void {
  const first = inputs[0]!.type;
  for (const x of inputs) {
    if (x.type.shape.join() !== first.shape.join()) throw new SemanticError(`${what}: all inputs need one shape, got ${first} and ${x.type}`);
  }
}

/** Builds a combine region taking (accs..., xs...) and ending with `terminator`. */
function combineRegion(s: Semantic, elements: KType[], combine: Combine, terminator: string): Region {
  const block = new Block([...elements, ...elements].map((t) => t.ir));
  const args = block.args.map((a, i) => new TValue(a, elements[i % elements.length]!));
  s.b.inBlock(block, () => {
    const out = combine(args.slice(0, elements.length), args.slice(elements.length));
    if (out.length !== elements.length) throw new SemanticError(`the combine function returns ${out.length} values; it must return ${elements.length}`);
    const cast = out.map((v, i) => s.broadcastTo(s.cast(s.toValue(v), elements[i]!.element as DType), []));
    s.b.create(terminator, cast.map((v) => v.ir), []);
  });
  return new Region([block]);
}

/** Combines along `axis` (or over all elements when axis is null). */
export function reduce(s: Semantic, inputs: TValue[], axis: number | null, combine: Combine, keepDims = false): TValue[] {
  checkSameShape(inputs, 'reduce');
  if (!inputs[0]!.type.isBlock) return inputs;
  if (axis === null) {
    const flat = inputs.map((x) => s.reshape(x, [x.type.numel], true));
    const out = reduce(s, flat, 0, combine);
    return keepDims ? out.map((v) => s.reshape(v, inputs[0]!.type.shape.map(() => 1))) : out;
  }
  const shape = inputs[0]!.type.shape;
  const ax = normalizeAxis(axis, shape.length);
  const elements = inputs.map((x) => new KType(x.type.element, []));
  const region = combineRegion(s, elements, combine, 'tt.reduce.return');
  const resultShape = shape.filter((_, i) => i !== ax);
  const resultTypes = inputs.map((x) => x.type.withShape(resultShape));
  const op = s.b.create('tt.reduce', inputs.map((x) => x.ir), resultTypes.map((t) => t.ir), { axis: ax }, [region]);
  const results = op.results.map((r, i) => new TValue(r, resultTypes[i]!));
  return keepDims ? results.map((r) => s.expandDims(r, ax)) : results;
}

/** Inclusive scan along `axis`. */
export function scan(s: Semantic, inputs: TValue[], axis: number, combine: Combine, reverse = false): TValue[] {
  checkSameShape(inputs, 'associativeScan');
  if (!inputs[0]!.type.isBlock) return inputs;
  const ax = normalizeAxis(axis, inputs[0]!.type.shape.length);
  const elements = inputs.map((x) => new KType(x.type.element, []));
  const region = combineRegion(s, elements, combine, 'tt.scan.return');
  const op = s.b.create('tt.scan', inputs.map((x) => x.ir), inputs.map((x) => x.type.ir), { axis: ax, reverse }, [region]);
  return op.results.map((r, i) => new TValue(r, inputs[i]!.type));
}

/** Triton's sum dtype: integers narrower than 32 bits accumulate in 32 bits (keeping signedness). */
function sumDType(d: DType, requested: DType | undefined): DType {
  if (requested) return requested;
  if (d.isBool || (d.isSigned && d.isInt && d.bits < 32)) return dtypes.i32;
  if (d.isUnsigned && d.bits < 32) return dtypes.u32;
  return d;
}

/**
 * 16-bit floats accumulate in f32 on every tier, and the result is rounded back once: a sequential sum in bf16
 * stops growing at 256 (256 + 1 rounds to 256) while a tree of bf16 additions does not, so without this the
 * interpreter and the GPU would disagree, and both would be far from the true sum.
 */
const accumulatesInF32 = (d: DType): boolean => d === dtypes.f16 || d === dtypes.bf16;
function numeric(x: TValue, what: string): DType {
  if (x.type.isPointer) throw new SemanticError(`${what} of pointers is not supported`);
  return x.type.dtype;
}

/** Triton keeps fp8 as the sum's dtype, and so adds in fp8, which no instruction does (and Triton cannot lower). */
function refuseFp8Accumulator(d: DType, what: string): void {
  if (!d.isFp8) return;
  throw new SemanticError(`${what} of ${d.name} values would add in ${d.name}, which kt does not compute in`, `accumulate in a wider type: tl.${what}(x, { dtype: tl.float32 }), or convert first with x.to(tl.float32)`);
}

/** Triton's result dtypes (f16 stays f16, bf16 stays bf16, narrow integers widen), accumulated as above. */
export function sum(s: Semantic, x: TValue, axis: number | null, keepDims: boolean, dtype?: DType): TValue {
  const out = sumDType(numeric(x, 'sum'), dtype);
  refuseFp8Accumulator(out, 'sum');
  const acc = accumulatesInF32(out) ? dtypes.f32 : out;
  const total = reduce(s, [s.cast(x, acc)], axis, ([a], [b]) => [s.add(a!, b!)], keepDims)[0]!;
  return s.cast(total, out);
}

export function xorSum(s: Semantic, x: TValue, axis: number | null, keepDims: boolean): TValue {
  if (!numeric(x, 'xorSum').isInt) throw new SemanticError(`xorSum needs integers, got ${x.type}`);
  return reduce(s, [x], axis, ([a], [b]) => [s.xor(a!, b!)], keepDims)[0]!;
}

/** Triton widens bf16 to f32, and (without indices) every type narrower than 32 bits, before max/min. */
function promoteForMinMax(s: Semantic, x: TValue, withIndices: boolean): TValue {
  const d = numeric(x, 'max/min');
  if (d === dtypes.bf16) return s.cast(x, dtypes.f32);
  if (!withIndices && d.bits < 32) return s.cast(x, d.isFloat ? dtypes.f32 : dtypes.i32);
  return x;
}

export function minMax(s: Semantic, kind: 'max' | 'min', x: TValue, axis: number | null, keepDims: boolean): TValue {
  const v = promoteForMinMax(s, x, false);
  const pick = kind === 'max' ? s.maximum.bind(s) : s.minimum.bind(s);
  return reduce(s, [v], axis, ([a], [b]) => [pick(a!, b!)], keepDims)[0]!;
}

/** The extreme value and its index along `axis`; ties go to the smaller index when `tieBreakLeft`. */
export function minMaxWithIndices(s: Semantic, kind: 'max' | 'min', x: TValue, axis: number | null, keepDims: boolean, tieBreakLeft = true): [TValue, TValue] {
  let v = promoteForMinMax(s, x, true);
  let ax = axis;
  if (ax === null) {
    v = s.reshape(v, [v.type.numel], true);
    ax = 0;
  }
  if (!v.type.isBlock) return [v, s.constant(0, dtypes.i32)];
  const shape = v.type.shape;
  const a = normalizeAxis(ax, shape.length);
  // Index of each element along the axis, broadcast to the input's shape.
  let idx = s.arange(0, shape[a]!);
  for (let d = 0; d < shape.length; d++) if (d !== a) idx = s.expandDims(idx, d);
  idx = s.broadcastTo(idx, shape);
  const better = (p: TValue, q: TValue): TValue => (kind === 'max' ? s.compare('>', p, q) : s.compare('<', p, q));
  const [value, index] = reduce(
    s,
    [v, idx],
    a,
    ([v1, i1], [v2, i2]) => {
      let take = better(v1!, v2!);
      if (tieBreakLeft) take = s.logicalOr(take, s.logicalAnd(s.compare('==', v1!, v2!), s.compare('<', i1!, i2!)));
      return [s.where(take, v1!, v2!), s.where(take, i1!, i2!)];
    },
    keepDims && axis !== null,
  );
  if (keepDims && axis === null) return [s.reshape(value!, x.type.shape.map(() => 1)), s.reshape(index!, x.type.shape.map(() => 1))];
  return [value!, index!];
}

/**
 * cumsum and cumprod with Triton's result dtypes: bf16 becomes f32 (Triton promotes it), narrow integers widen
 * to 32 bits for cumsum only, f16 stays f16; f16 accumulates in f32 and each prefix is rounded once. A given
 * `dtype` is both the accumulation and the result dtype.
 */
export function cumulative(s: Semantic, kind: 'sum' | 'prod', x: TValue, axis: number, reverse: boolean, dtype?: DType): TValue {
  const d = numeric(x, `cum${kind}`);
  const promoted = d === dtypes.bf16 ? dtypes.f32 : d;
  const out = kind === 'sum' ? sumDType(promoted, dtype) : (dtype ?? promoted);
  refuseFp8Accumulator(out, `cum${kind}`);
  const acc = accumulatesInF32(out) ? dtypes.f32 : out;
  const op = kind === 'sum' ? s.add.bind(s) : s.mul.bind(s);
  return s.cast(scan(s, [s.cast(x, acc)], axis, ([a], [b]) => [op(a!, b!)], reverse)[0]!, out);
}
