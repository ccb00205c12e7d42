// The semantic layer: the meaning of every language operation (type promotion, broadcasting, shape and
// dtype checks) and the IR it becomes. The frontend calls it; nothing else decides what `a + b` means.
// Modelled on Triton's semantic.py, so kernels compute in the same types as their Triton twins.
import { DenseAttr, FloatAttr, IntegerAttr } from '../ir/attributes.ts';
import type { Builder } from '../ir/builder.ts';
import type { FloatType } from '../ir/types.ts';
import { bigIntToDoubleOdd, roundToFloat } from '../../numerics.ts';
import { DType, PointerDType, dtypes, pointerTo, type ElementType } from './dtype.ts';
import { SemanticError } from './errors.ts';
import { computationType, integerPromote, literalDType } from './promotion.ts';
import { normalizeAxis } from './reduce.ts';
import { Constexpr, KType, TValue, type Operand } from './values.ts';

/** Triton's limit on elements in one tile. */
export const MAX_TENSOR_NUMEL = 1 << 20;

export type ComparisonOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

const intPredicate: Record<ComparisonOp, [string, string]> = {
  '<': ['slt', 'ult'],
  '<=': ['sle', 'ule'],
  '>': ['sgt', 'ugt'],
  '>=': ['sge', 'uge'],
  '==': ['eq', 'eq'],
  '!=': ['ne', 'ne'],
};
// Ordered comparisons are false on NaN; != is unordered, so NaN != NaN holds (as in C and Triton).
const floatPredicate: Record<ComparisonOp, string> = { '<': 'olt', '<=': 'ole', '>': 'ogt', '>=': 'oge', '==': 'oeq', '!=': 'une' };

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** How the errors about fp8 arithmetic name the ops. */
const fp8OpNames: Record<string, string> = {
  'arith.addf': '+',
  'arith.subf': '-',
  'arith.mulf': '*',
  'arith.divf': '/',
  'arith.remf': '%',
  'arith.maxnumf': 'maximum',
  'arith.maximumf': 'maximum',
  'arith.minnumf': 'minimum',
  'arith.minimumf': 'minimum',
};

export function describe(x: Operand): string {
  return x instanceof Constexpr ? `constexpr ${x.toString()}` : x.type.toString();
}

export class Semantic {
  constructor(readonly b: Builder) {}

  // ---- values -------------------------------------------------------------------------------------

  /** A constant of `dtype` (splatted to `shape`), checking that the value fits. */
  constant(value: number | bigint | boolean, dtype: DType, shape: readonly number[] = []): TValue {
    let v = value;
    if (dtype.isInt) {
      // As Triton (tl.full(shape, 2.7, tl.int32) is an error there): never drop a fraction without a word.
      if (typeof v === 'number' && !Number.isInteger(v)) throw new SemanticError(`${value} is not an integer, so it cannot be a ${dtype.name} constant`, 'round it explicitly (Math.round, Math.floor) or use a float dtype');
      const big = typeof v === 'bigint' ? v : BigInt(Number(v));
      if (!dtype.isBool && (big < dtype.intMin || big > dtype.intMax)) {
        // Literals may be written as unsigned bit patterns (0xFFFFFFFF for an i32): wrap those.
        const unsignedMax = (1n << BigInt(dtype.bits)) - 1n;
        if (big < 0n || big > unsignedMax) throw new SemanticError(`${value} does not fit in ${dtype.name}`);
      }
      v = big;
    } else {
      // A bigint goes through a double rounded to odd, so that it is rounded once (Number() would round it first).
      const format = (dtype.ir as FloatType).text;
      v = roundToFloat(typeof v === 'bigint' && format !== 'f64' ? bigIntToDoubleOdd(v) : Number(v), format);
    }
    const type = new KType(dtype, shape);
    return new TValue(this.b.constant(v, type.ir), type);
  }

  /** Turns a literal into a runtime value (of `dtype`, or Triton's dtype for the literal). */
  toValue(x: Operand, dtype?: DType): TValue {
    if (x instanceof TValue) return x;
    const v = x.value;
    if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
      throw new SemanticError(`${x.toString()} is not a number and cannot be used as a value`);
    }
    return this.constant(v, dtype ?? literalDType(v, x.isFloat));
  }

  /** The dtype a literal or value has when it meets another operand. */
  private dtypeOf(x: Operand): ElementType {
    if (x instanceof TValue) return x.type.element;
    const v = x.value;
    if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') {
      throw new SemanticError(`${x.toString()} is not a number and cannot be used in arithmetic`);
    }
    return literalDType(v, x.isFloat);
  }

  // ---- casts --------------------------------------------------------------------------------------

  /**
   * Converts `x` to `to`; `bitcast` reinterprets bits instead (both sides of one width). `fpDowncastRounding` is
   * Triton's fp_downcast_rounding: given, the conversion must narrow a float to a float of fewer bits ('rtne', the
   * default, rounds to nearest even; 'rtz' toward zero), as Triton requires of it.
   */
  cast(x: TValue, to: ElementType, bitcast = false, fpDowncastRounding?: 'rtne' | 'rtz'): TValue {
    const from = x.type.element;
    if (from === to) return x;
    if (fpDowncastRounding !== undefined) {
      if (bitcast) throw new SemanticError(`fpDowncastRounding does not apply to a bitcast, which keeps the bits`, 'leave out one of the two');
      const downcast = from instanceof DType && to instanceof DType && from.isFloat && to.isFloat && to.bits < from.bits;
      if (!downcast) {
        throw new SemanticError(
          `fpDowncastRounding applies only to conversions from a float to a narrower float, and ${from} to ${to} is not one`,
          'leave fpDowncastRounding out of this conversion',
        );
      }
      if (fpDowncastRounding === 'rtz') {
        const rt = x.type.withElement(to);
        return new TValue(this.b.value('arith.truncf', [x.ir], rt.ir, { rounding: 'rtz' }), rt);
      }
    }
    const rt = x.type.withElement(to);
    const bitsOf = (e: ElementType): number => (e instanceof PointerDType ? 64 : e.bits);
    const op = (name: string): TValue => new TValue(this.b.value(name, [x.ir], rt.ir), rt);
    const retype = (): TValue => new TValue(x.ir, rt);
    if (bitcast) {
      if (bitsOf(from) !== bitsOf(to)) throw new SemanticError(`cannot bitcast ${from} to ${to}: they differ in bit width`);
      if (from instanceof PointerDType !== to instanceof PointerDType) {
        throw new SemanticError(`cannot bitcast between a pointer and a number`, 'use .to(tl.int64) to get an address');
      }
      return elementIrEquals(from, to) ? retype() : op('tt.bitcast');
    }
    if (from instanceof PointerDType) {
      if (to instanceof PointerDType) return op('tt.bitcast');
      if (to === dtypes.i64 || to === dtypes.u64) return op('tt.ptr_to_int');
      throw new SemanticError(`cannot convert a pointer to ${to}`, 'pointers convert to i64 or to other pointer types');
    }
    if (to instanceof PointerDType) {
      if (from === dtypes.i64 || from === dtypes.u64) return op('tt.int_to_ptr');
      throw new SemanticError(`cannot convert ${from} to a pointer`, 'convert it to i64 first');
    }
    // fp8 <-> integers (bool included) go through f32, which holds every fp8 value and rounds integers only beyond
    // 2^24, where fp8 saturates anyway. (Triton's cast has no direct rule for them either.)
    if ((from.isFp8 && !to.isFloat) || (to.isFp8 && !from.isFloat)) return this.cast(this.cast(x, dtypes.f32), to);
    if (from.isFloat && to.isFloat) {
      if (from.bits < to.bits) return op('arith.extf');
      if (from.bits > to.bits) return op('arith.truncf');
      // f16 <-> bf16 and e4m3 <-> e5m2: widen exactly to f32, then round once.
      return this.cast(this.cast(x, dtypes.f32), to);
    }
    if (from.isInt && to.isInt) {
      if (to.isBool) return this.compare('!=', x, new Constexpr(0));
      if (from.bits === to.bits) return retype();
      if (from.bits > to.bits) return op('arith.trunci');
      return op(from.isBool || from.isUnsigned ? 'arith.extui' : 'arith.extsi');
    }
    if (from.isFloat) {
      if (to.isBool) return this.compare('!=', x, new Constexpr(0, true));
      return op(to.isUnsigned ? 'arith.fptoui' : 'arith.fptosi');
    }
    return op(from.isBool || from.isUnsigned ? 'arith.uitofp' : 'arith.sitofp');
  }

  // ---- shapes -------------------------------------------------------------------------------------

  validateShape(shape: readonly number[], what = 'a tile'): void {
    for (const [i, d] of shape.entries()) {
      if (!Number.isInteger(d) || !isPowerOfTwo(d)) {
        throw new SemanticError(`dimension ${i} of ${what} is ${d}, but tile dimensions must be powers of two`, 'round the block size up to a power of two and mask the extra elements');
      }
    }
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel > MAX_TENSOR_NUMEL) throw new SemanticError(`${what} of shape [${shape.join(', ')}] has ${numel} elements; the limit is ${MAX_TENSOR_NUMEL}`);
  }

  splat(x: TValue, shape: readonly number[]): TValue {
    if (x.type.isBlock) throw new SemanticError(`cannot splat ${x.type}: it is already a tensor`);
    if (shape.length === 0) return x;
    const rt = x.type.withShape(shape);
    return new TValue(this.b.value('tt.splat', [x.ir], rt.ir), rt);
  }

  /** Broadcasts `x` to `shape`, prepending dimensions of size 1 as numpy does. */
  broadcastTo(x: TValue, shape: readonly number[]): TValue {
    const src = x.type.shape;
    if (src.length === shape.length && src.every((d, i) => d === shape[i])) return x;
    if (!x.type.isBlock) return this.splat(x, shape);
    if (src.length > shape.length) throw new SemanticError(`cannot broadcast ${x.type} to fewer dimensions [${shape.join(', ')}]`);
    let v = x;
    while (v.type.shape.length < shape.length) v = this.expandDims(v, 0);
    const padded = v.type.shape;
    padded.forEach((d, i) => {
      if (d !== shape[i] && d !== 1) {
        throw new SemanticError(`cannot broadcast ${x.type} to [${shape.join(', ')}]: dimension ${i} is ${d}, not 1 or ${shape[i]}`);
      }
    });
    if (padded.every((d, i) => d === shape[i])) return v;
    const rt = v.type.withShape(shape);
    return new TValue(this.b.value('tt.broadcast', [v.ir], rt.ir), rt);
  }

  broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
    const n = Math.max(a.length, b.length);
    const pa = [...Array(n - a.length).fill(1), ...a];
    const pb = [...Array(n - b.length).fill(1), ...b];
    return pa.map((d, i) => {
      const e = pb[i]!;
      if (d === e || e === 1) return d;
      if (d === 1) return e;
      throw new SemanticError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast: dimension ${i} is ${d} in one and ${e} in the other`);
    });
  }

  broadcastPair(a: TValue, b: TValue): [TValue, TValue] {
    if (!a.type.isBlock && !b.type.isBlock) return [a, b];
    const shape = this.broadcastShapes(a.type.shape, b.type.shape);
    return [this.broadcastTo(a, shape), this.broadcastTo(b, shape)];
  }

  expandDims(x: TValue, axis: number): TValue {
    const rank = x.type.shape.length;
    const ax = axis < 0 ? axis + rank + 1 : axis;
    if (ax < 0 || ax > rank) throw new SemanticError(`axis ${axis} is out of range for expandDims of a rank-${rank} value`);
    if (!x.type.isBlock) return this.splat(x, [1]);
    const shape = [...x.type.shape];
    shape.splice(ax, 0, 1);
    const rt = x.type.withShape(shape);
    return new TValue(this.b.value('tt.expand_dims', [x.ir], rt.ir, { axis: ax }), rt);
  }

  reshape(x: TValue, shape: readonly number[], allowReorder = false): TValue {
    this.validateShape(shape, 'the reshaped tile');
    const numel = shape.reduce((a, b) => a * b, 1);
    if (numel !== x.type.numel) throw new SemanticError(`cannot reshape ${x.type} (${x.type.numel} elements) to [${shape.join(', ')}] (${numel} elements)`);
    if (!x.type.isBlock) return this.splat(x, shape);
    if (x.type.shape.join() === shape.join()) return x;
    const rt = x.type.withShape(shape);
    return new TValue(this.b.value('tt.reshape', [x.ir], rt.ir, allowReorder ? { allow_reorder: true } : {}), rt);
  }

  permute(x: TValue, order: readonly number[]): TValue {
    const shape = x.type.shape;
    if (order.length !== shape.length || [...order].sort((p, q) => p - q).some((o, i) => o !== i)) {
      throw new SemanticError(`permutation [${order.join(', ')}] does not fit a rank-${shape.length} tile`, `give each of the dimensions 0..${shape.length - 1} once`);
    }
    if (order.every((o, i) => o === i)) return x;
    const rt = x.type.withShape(order.map((o) => shape[o]!));
    return new TValue(this.b.value('tt.trans', [x.ir], rt.ir, { order: [...order] }), rt);
  }

  join(a: TValue, b: TValue): TValue {
    const [x, y] = this.promotePair(a, b);
    const shape = [...x.type.shape, 2];
    const rt = x.type.withShape(shape);
    return new TValue(this.b.value('tt.join', [x.ir, y.ir], rt.ir), rt);
  }

  split(x: TValue): [TValue, TValue] {
    const shape = x.type.shape;
    if (shape[shape.length - 1] !== 2) throw new SemanticError(`split needs a tile whose last dimension is 2, got ${x.type}`);
    const rt = x.type.withShape(shape.slice(0, -1));
    const op = this.b.create('tt.split', [x.ir], [rt.ir, rt.ir]);
    return [new TValue(op.results[0]!, rt), new TValue(op.results[1]!, rt)];
  }

  /**
   * Triton's gather: result[..., i, ...] = src[..., index[..., i, ...], ...] along `axis`. The index has the source's
   * rank and its dimensions but along `axis`, where it has any size; an index outside [0, n) is taken modulo n
   * (-1 is the last element), on every tier.
   */
  gather(src: TValue, index: TValue, axis: number): TValue {
    const shape = src.type.shape;
    if (!src.type.isBlock) throw new SemanticError(`gather needs a tile to gather from, got ${src.type}`);
    if (index.type.isPointer || !index.type.dtype.isInt || index.type.dtype.isBool) throw new SemanticError(`gather's index must be a tile of integers, got ${index.type}`);
    if (index.type.shape.length !== shape.length) {
      throw new SemanticError(`gather's index has rank ${index.type.shape.length} and the source ${shape.length}`, 'give the index the rank of the source, with tl.expandDims or tl.broadcastTo');
    }
    const ax = normalizeAxis(axis, shape.length);
    shape.forEach((d, i) => {
      if (i !== ax && index.type.shape[i] !== d) throw new SemanticError(`dimension ${i} of gather's index is ${index.type.shape[i]} and of the source ${d}; they must agree but along the axis (${ax})`);
    });
    const rt = src.type.withShape(index.type.shape);
    return new TValue(this.b.value('tt.gather', [src.ir, this.cast(index, dtypes.i32).ir], rt.ir, { axis: ax }), rt);
  }

  /** Brings two operands to one dtype (by Triton's promotion) and one shape. */
  promotePair(a: Operand, b: Operand): [TValue, TValue] {
    const [x, y] = this.binaryOperands(a, b, { allowPointers: true });
    return [x, y];
  }

  arange(start: number, end: number): TValue {
    if (!Number.isInteger(start) || !Number.isInteger(end)) throw new SemanticError(`arange bounds must be integers, got ${start} and ${end}`, 'kt follows Triton: `/` is true division; use tl.floordiv or `>>` for integer halves');
    if (end <= start) throw new SemanticError(`arange needs end > start, got start=${start}, end=${end}`);
    if (!isPowerOfTwo(end - start)) throw new SemanticError(`arange's range (end - start = ${end - start}) must be a power of two`, 'round it up to a power of two and mask the extra elements');
    if (start < -(2 ** 31) || end > 2 ** 31) throw new SemanticError('arange bounds must fit in i32');
    if (end - start > MAX_TENSOR_NUMEL) throw new SemanticError(`arange of ${end - start} elements is over the limit of ${MAX_TENSOR_NUMEL}`);
    const rt = new KType(dtypes.i32, [end - start]);
    return new TValue(this.b.value('tt.make_range', [], rt.ir, { start, end }), rt);
  }

  full(shape: readonly number[], value: Operand, dtype: DType): TValue {
    this.validateShape(shape);
    if (value instanceof Constexpr) {
      const v = value.value;
      if (typeof v !== 'number' && typeof v !== 'bigint' && typeof v !== 'boolean') throw new SemanticError(`full's value must be a number, got ${value}`);
      return this.constant(v, dtype, shape);
    }
    if (value.type.isBlock) throw new SemanticError(`full's value must be a scalar, got ${value.type}`);
    return this.splat(this.cast(value, dtype), shape);
  }

  // ---- arithmetic ---------------------------------------------------------------------------------

  /**
   * Triton's binary_op_type_checking: literals take the other side's dtype where Triton's rules say so,
   * both sides are cast to the computation type, then broadcast to one shape.
   */
  binaryOperands(a: Operand, b: Operand, opts: { allowPointers?: boolean; divOrMod?: boolean; arithmetic?: boolean } = {}): [TValue, TValue] {
    const ta = this.dtypeOf(a);
    const tb = this.dtypeOf(b);
    const aLit = a instanceof Constexpr;
    const bLit = b instanceof Constexpr;
    let x: TValue;
    let y: TValue;
    if (ta instanceof PointerDType || tb instanceof PointerDType) {
      if (!opts.allowPointers) throw new SemanticError(`this operation does not accept pointers (${describe(a)} and ${describe(b)})`);
      if (ta instanceof PointerDType && tb instanceof PointerDType && ta !== tb) {
        throw new SemanticError(`pointers to different types: ${ta} and ${tb}`);
      }
      if ((ta instanceof PointerDType && tb instanceof DType && tb.isFloat) || (tb instanceof PointerDType && ta instanceof DType && ta.isFloat)) {
        throw new SemanticError(`cannot combine a pointer with a float (${describe(a)} and ${describe(b)})`, 'pointer offsets must be integers');
      }
      x = this.toValue(a);
      y = this.toValue(b);
    } else if (opts.arithmetic === false) {
      x = this.toValue(a);
      y = this.toValue(b);
    } else {
      const ct = computationType(ta, aLit, tb, bLit, opts.divOrMod ?? false);
      for (const lit of [aLit ? a : undefined, bLit ? b : undefined]) {
        if (!(lit instanceof Constexpr) || !ct.isInt) continue;
        const v = BigInt(lit.value as number);
        if (ct.isUnsigned && v < 0n) {
          throw new SemanticError(`cannot combine an unsigned ${ct.name} value with the negative literal ${lit}`, 'cast one of them explicitly');
        }
      }
      x = aLit ? this.literal(a, ct) : this.cast(a, ct);
      y = bLit ? this.literal(b, ct) : this.cast(b, ct);
    }
    return this.broadcastPair(x, y);
  }

  private literal(c: Constexpr, dtype: DType): TValue {
    const v = c.value as number | bigint | boolean;
    if (dtype.isInt && !dtype.isBool && typeof v !== 'boolean') {
      const big = BigInt(typeof v === 'number' ? Math.trunc(v) : v);
      if (big < dtype.intMin || big > dtype.intMax) throw new SemanticError(`literal ${c} is out of range for ${dtype.name}`);
    }
    return this.constant(v, dtype);
  }

  private emit(name: string, a: TValue, b: TValue): TValue {
    this.refuseFp8(a, name);
    return new TValue(this.b.value(name, [a.ir, b.ir], a.type.ir), a.type);
  }

  /**
   * fp8 values are loaded, stored, moved, selected and converted, never computed on: Triton types `x + y` of one fp8
   * format in that format (then fails to lower it, triton-lang/triton#2640), and no GPU instruction computes in fp8.
   */
  private refuseFp8(x: TValue, op: string): void {
    if (x.type.isPointer || !x.type.dtype.isFp8) return;
    const what = fp8OpNames[op] ?? op;
    throw new SemanticError(
      `cannot compute ${what} on ${x.type.dtype.name} values: fp8 values can be loaded, stored, selected and converted, but arithmetic needs a wider type`,
      `convert first, e.g. x.to(tl.float32) (or tl.float16), and back with .to(tl.${x.type.dtype.tritonName}) to store fp8`,
    );
  }

  add(a: Operand, b: Operand): TValue {
    let [x, y] = this.binaryOperands(a, b, { allowPointers: true });
    if (x.type.isPointer && y.type.isPointer) throw new SemanticError('cannot add two pointers');
    if (y.type.isPointer) [x, y] = [y, x];
    if (x.type.isPointer) return this.addPointerOffset(x, y);
    return this.emit(x.type.dtype.isFloat ? 'arith.addf' : 'arith.addi', x, y);
  }

  sub(a: Operand, b: Operand): TValue {
    const [x, y] = this.binaryOperands(a, b, { allowPointers: true });
    if (y.type.isPointer) throw new SemanticError(x.type.isPointer ? 'cannot subtract pointers' : 'cannot subtract a pointer from a number');
    if (x.type.isPointer) return this.addPointerOffset(x, this.minus(y));
    return this.emit(x.type.dtype.isFloat ? 'arith.subf' : 'arith.subi', x, y);
  }

  private addPointerOffset(ptr: TValue, offset: TValue): TValue {
    let off = offset;
    // addptr reads offsets as signed: widen unsigned ones so that large offsets stay positive.
    if (off.type.dtype.isUnsigned && off.type.dtype.bits < 64) off = this.cast(off, dtypes.i64);
    if (off.type.dtype.isBool) off = this.cast(off, dtypes.i32);
    return new TValue(this.b.value('tt.addptr', [ptr.ir, off.ir], ptr.type.ir), ptr.type);
  }

  mul(a: Operand, b: Operand): TValue {
    const [x, y] = this.binaryOperands(a, b);
    return this.emit(x.type.dtype.isFloat ? 'arith.mulf' : 'arith.muli', x, y);
  }

  /** `/`: true division (integers divide as f32), as in Triton and JavaScript. */
  truediv(a: Operand, b: Operand): TValue {
    let [x, y] = this.binaryOperands(a, b, { divOrMod: true });
    const dx = x.type.dtype;
    const dy = y.type.dtype;
    if (dx.isInt && dy.isInt) {
      x = this.cast(x, dtypes.f32);
      y = this.cast(y, dtypes.f32);
    } else if (dx.isFloat && dy.isInt) y = this.cast(y, dx);
    else if (dx.isInt && dy.isFloat) x = this.cast(x, dy);
    else if (dx !== dy) {
      if (dx.mantissaBits > dy.mantissaBits) y = this.cast(y, dx);
      else x = this.cast(x, dy);
    }
    return this.emit('arith.divf', x, y);
  }

  /** Triton's `//` on integers: division rounding toward zero (C semantics). */
  floordiv(a: Operand, b: Operand): TValue {
    const [x, y] = this.binaryOperands(a, b, { divOrMod: true });
    if (!x.type.dtype.isInt) throw new SemanticError(`floordiv needs integers, got ${x.type}`, 'use `/` and tl.floor for floats');
    const t = integerPromote(x.type.dtype, y.type.dtype);
    return this.emit(t.isUnsigned ? 'arith.divui' : 'arith.divsi', this.cast(x, t), this.cast(y, t));
  }

  /** `%`: remainder with the sign of the dividend (C and JavaScript semantics, as Triton on tensors). */
  mod(a: Operand, b: Operand): TValue {
    const [x, y] = this.binaryOperands(a, b, { divOrMod: true });
    const d = x.type.dtype;
    if (d.isFloat) return this.emit('arith.remf', x, y);
    return this.emit(d.isUnsigned ? 'arith.remui' : 'arith.remsi', x, y);
  }

  private bitwiseOperands(a: Operand, b: Operand, what: string): [TValue, TValue] {
    const [x, y] = this.binaryOperands(a, b);
    if (!x.type.dtype.isInt || !y.type.dtype.isInt) throw new SemanticError(`${what} needs integer or boolean operands, got ${describe(a)} and ${describe(b)}`);
    return [x, y];
  }

  and(a: Operand, b: Operand): TValue {
    return this.emit('arith.andi', ...this.bitwiseOperands(a, b, '&'));
  }
  or(a: Operand, b: Operand): TValue {
    return this.emit('arith.ori', ...this.bitwiseOperands(a, b, '|'));
  }
  xor(a: Operand, b: Operand): TValue {
    return this.emit('arith.xori', ...this.bitwiseOperands(a, b, '^'));
  }
  shl(a: Operand, b: Operand): TValue {
    return this.emit('arith.shli', ...this.bitwiseOperands(a, b, '<<'));
  }
  /**
   * `>>`: arithmetic or logical by the signedness of the shifted value's own dtype, before promotion (Triton's
   * `__rshift__`): an i8 shifted by a u16 computes in u16 but shifts arithmetically. A literal takes no part:
   * `-8 >> x_u32` follows the tile's dtype, as Triton's `__rrshift__` does.
   */
  shr(a: Operand, b: Operand): TValue {
    const decides = a instanceof TValue || !(b instanceof TValue) ? this.dtypeOf(a) : this.dtypeOf(b);
    const [x, y] = this.bitwiseOperands(a, b, '>>');
    const signed = decides instanceof DType && decides.isSigned && !decides.isBool;
    return this.emit(signed ? 'arith.shrsi' : 'arith.shrui', x, y);
  }
  /** `>>>`: logical shift right whatever the signedness. */
  lshr(a: Operand, b: Operand): TValue {
    return this.emit('arith.shrui', ...this.bitwiseOperands(a, b, '>>>'));
  }

  compare(op: ComparisonOp, a: Operand, b: Operand): TValue {
    const [x, y] = this.binaryOperands(a, b, { allowPointers: true });
    const rt = x.type.withElement(dtypes.i1);
    if (x.type.isPointer) {
      throw new SemanticError('comparing pointers is not supported', 'compare their offsets instead');
    }
    this.refuseFp8(x, 'comparison');
    const d = x.type.dtype;
    const attrs = d.isFloat ? { predicate: floatPredicate[op] } : { predicate: intPredicate[op][d.isUnsigned ? 1 : 0] };
    return new TValue(this.b.value(d.isFloat ? 'arith.cmpf' : 'arith.cmpi', [x.ir, y.ir], rt.ir, attrs), rt);
  }

  /** Unary minus. */
  minus(x: Operand): TValue {
    const v = this.toValue(x);
    if (v.type.isPointer) throw new SemanticError('cannot negate a pointer');
    this.refuseFp8(v, 'negation');
    if (v.type.dtype.isFloat) return new TValue(this.b.value('arith.negf', [v.ir], v.type.ir), v.type);
    return this.sub(this.constant(0, v.type.dtype, v.type.shape), v);
  }

  /** `~`: bitwise not. */
  invert(x: Operand): TValue {
    const v = this.toValue(x);
    if (v.type.isPointer || v.type.dtype.isFloat) throw new SemanticError(`~ needs an integer or boolean operand, got ${v.type}`);
    const d = v.type.dtype;
    const ones = this.constant(d.isBool ? 1 : d.isUnsigned ? d.intMax : -1, d, v.type.shape);
    return this.emit('arith.xori', v, ones);
  }

  /** Truthiness as i1: non-zero numbers are true. */
  toBool(x: Operand): TValue {
    const v = this.toValue(x);
    if (v.type.isPointer) throw new SemanticError('a pointer cannot be used as a condition');
    return v.type.dtype.isBool ? v : this.cast(v, dtypes.i1);
  }

  logicalNot(x: Operand): TValue {
    const v = this.toBool(x);
    return this.emit('arith.xori', v, this.constant(true, dtypes.i1, v.type.shape));
  }

  logicalAnd(a: Operand, b: Operand): TValue {
    const [x, y] = this.broadcastPair(this.toBool(a), this.toBool(b));
    return this.emit('arith.andi', x, y);
  }

  logicalOr(a: Operand, b: Operand): TValue {
    const [x, y] = this.broadcastPair(this.toBool(a), this.toBool(b));
    return this.emit('arith.ori', x, y);
  }

  where(cond: Operand, a: Operand, b: Operand): TValue {
    let c = this.toBool(cond);
    let [x, y] = this.binaryOperands(a, b, { allowPointers: true });
    const shape = this.broadcastShapes(c.type.shape, x.type.shape);
    c = this.broadcastTo(c, shape);
    x = this.broadcastTo(x, shape);
    y = this.broadcastTo(y, shape);
    return new TValue(this.b.value('arith.select', [c.ir, x.ir, y.ir], x.type.ir), x.type);
  }

  /** Elementwise maximum; for floats, NaN is ignored unless `propagateNan`. */
  maximum(a: Operand, b: Operand, propagateNan = false): TValue {
    const [x, y] = this.binaryOperands(a, b);
    const d = x.type.dtype;
    return this.emit(d.isFloat ? (propagateNan ? 'arith.maximumf' : 'arith.maxnumf') : d.isUnsigned ? 'arith.maxui' : 'arith.maxsi', x, y);
  }

  minimum(a: Operand, b: Operand, propagateNan = false): TValue {
    const [x, y] = this.binaryOperands(a, b);
    const d = x.type.dtype;
    return this.emit(d.isFloat ? (propagateNan ? 'arith.minimumf' : 'arith.minnumf') : d.isUnsigned ? 'arith.minui' : 'arith.minsi', x, y);
  }

  clamp(x: Operand, lo: Operand, hi: Operand, propagateNan = false): TValue {
    return this.minimum(this.maximum(x, lo, propagateNan), hi, propagateNan);
  }

  /** A unary float function (math.exp, math.sqrt, ...); `what` names it in messages. */
  math(name: string, x: Operand, what = name): TValue {
    const v = this.toValue(x);
    if (v.type.isPointer || !v.type.dtype.isFloat) {
      throw new SemanticError(`${what} needs a floating-point operand, got ${describe(x)}`, 'convert it first, e.g. x.to(tl.float32)');
    }
    this.refuseFp8(v, what);
    return new TValue(this.b.value(`math.${name}`, [v.ir], v.type.ir), v.type);
  }

  abs(x: Operand): TValue {
    const v = this.toValue(x);
    if (v.type.isPointer) throw new SemanticError('abs of a pointer');
    this.refuseFp8(v, 'abs');
    const d = v.type.dtype;
    if (d.isFloat) return new TValue(this.b.value('math.absf', [v.ir], v.type.ir), v.type);
    if (d.isUnsigned || d.isBool) return v;
    return new TValue(this.b.value('math.absi', [v.ir], v.type.ir), v.type);
  }

  fma(a: Operand, b: Operand, c: Operand): TValue {
    const [x0, y0] = this.binaryOperands(a, b);
    const [x, z] = this.binaryOperands(x0, c);
    if (!x.type.dtype.isFloat) throw new SemanticError(`fma needs floating-point operands, got ${x.type}`);
    this.refuseFp8(x, 'fma');
    const y = this.broadcastTo(this.cast(y0, x.type.dtype), x.type.shape);
    return new TValue(this.b.value('math.fma', [x.ir, y.ir, z.ir], x.type.ir), x.type);
  }

  /** The high 32 (or 64) bits of the unsigned product. */
  umulhi(a: Operand, b: Operand): TValue {
    const [x, y] = this.binaryOperands(a, b);
    if (!x.type.dtype.isInt || x.type.dtype.bits < 32) throw new SemanticError(`umulhi needs 32- or 64-bit integers, got ${x.type}`);
    return this.emit('tt.mulhiui', x, y);
  }

  programId(axis: number): TValue {
    return this.gridQuery('tt.get_program_id', axis);
  }

  numPrograms(axis: number): TValue {
    return this.gridQuery('tt.get_num_programs', axis);
  }

  private gridQuery(name: string, axis: number): TValue {
    if (![0, 1, 2].includes(axis)) throw new SemanticError(`axis must be 0, 1 or 2, got ${axis}`);
    return new TValue(this.b.value(name, [], dtypes.i32.ir, { axis }), new KType(dtypes.i32, []));
  }

  /**
   * Attaches a compiler hint (tt.divisibility, tt.contiguity, tt.constancy) to the op that computes `x`. A value
   * no single plain op computes (an argument, a loop variable, the result of a branch or loop) gets a copy made
   * by an identity bitcast to carry the hint, which the axis analysis reads like any other op's.
   */
  hint(x: TValue, attr: string, values: readonly number[], what: string): TValue {
    if (!x.type.isBlock && values.length !== 1) throw new SemanticError(`${what} on a scalar takes one value`);
    if (x.type.isBlock && values.length !== 1 && values.length !== x.type.shape.length) {
      throw new SemanticError(`${what} needs one value or one per dimension (${x.type.shape.length}), got ${values.length}`);
    }
    const full = x.type.isBlock && values.length === 1 ? x.type.shape.map(() => values[0]!) : [...values];
    for (const v of full) if (!Number.isInteger(v) || v <= 0) throw new SemanticError(`${what} values must be positive integers, got ${v}`);
    const op = x.ir.definingOp;
    const target = op && !op.regions.length && op.results.length === 1 ? op : this.b.create('tt.bitcast', [x.ir], [x.ir.type]);
    target.attrs[attr] = full;
    return new TValue(target.result, x.type);
  }

  /** Pointer to `dtype` for `.to(tl.pointerType(...))`. */
  pointerTo(dtype: DType): PointerDType {
    return pointerTo(dtype);
  }
}

function elementIrEquals(a: ElementType, b: ElementType): boolean {
  if (a instanceof PointerDType || b instanceof PointerDType) return false;
  return a.ir === b.ir;
}

/** The constant value of `v` if an arith.constant computes it. */
export function constantOf(v: TValue): number | bigint | undefined {
  const op = v.ir.definingOp;
  if (op?.name !== 'arith.constant') return undefined;
  const a = op.attrs['value'];
  const s = a instanceof DenseAttr ? a.splat : a;
  if (s instanceof IntegerAttr) return s.type.width === 64 ? s.value : Number(s.value);
  if (s instanceof FloatAttr) return s.value;
  return undefined;
}

