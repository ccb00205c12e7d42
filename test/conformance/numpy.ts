// The references of the conformance suite, computed as NumPy 2 computes them: arrays with NumPy's dtypes,
// NumPy 2 promotion (NEP 50: a Python scalar is "weak" and takes the array's dtype, a 0-d array is not),
// wrap-around integer arithmetic, C's fmod for %, true division of integers in float64, and Triton's test
// helpers (numpy_random, to_triton, to_numpy, assert_allclose). Written for kt from NumPy's documented rules;
// nothing here runs a kernel.
import { expect } from 'vitest';
import { Random, roundBF16, roundF16, tensor, type Tensor } from 'kt';
import { e4m3FromBits, e5m2FromBits } from '../../src/numerics.ts';
import type { DTypeName } from '../../src/compiler/semantic/dtype.ts';

export type NpDType = 'bool' | 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'float16' | 'float32' | 'float64';
/** Triton's dtype strings in its tests: NumPy's, plus the ones NumPy lacks (bf16 is held as float32, fp8 as int8 bits). */
export type TritonDType = NpDType | 'bfloat16' | 'float8e4nv' | 'float8e5' | 'float8_e4m3fn' | 'float8_e5m2';

export const intDTypes = ['int8', 'int16', 'int32', 'int64'] as const satisfies readonly NpDType[];
export const uintDTypes = ['uint8', 'uint16', 'uint32', 'uint64'] as const satisfies readonly NpDType[];
export const integralDTypes = [...intDTypes, ...uintDTypes] as const;
export const floatDTypes = ['float16', 'float32', 'float64'] as const satisfies readonly NpDType[];
/** triton._internal_testing.dtypes and dtypes_with_bfloat16. */
export const dtypes: readonly TritonDType[] = [...integralDTypes, ...floatDTypes];
export const dtypesWithBfloat16: readonly TritonDType[] = [...dtypes, 'bfloat16'];

export type Scalar = number | bigint;

/** An n-d array: integers (bool included) as bigints, floats as numbers, row-major. */
export interface NdArray {
  readonly dtype: NpDType;
  readonly shape: readonly number[];
  readonly data: Scalar[];
}

/** A Python scalar: weak in NumPy 2 promotion. */
export interface PyScalar {
  readonly py: 'int' | 'float';
  readonly value: Scalar;
}
export const pyInt = (v: number | bigint): PyScalar => ({ py: 'int', value: BigInt(v) });
export const pyFloat = (v: number): PyScalar => ({ py: 'float', value: v });
export type Operand = NdArray | PyScalar;
const isPy = (x: Operand): x is PyScalar => 'py' in x;

// ---- dtypes --------------------------------------------------------------------------------------------------

export const bits = (d: NpDType | TritonDType): number => (d === 'bool' ? 8 : Number(/(\d+)/.exec(d)?.[1] ?? NaN));
export const isFloatDType = (d: NpDType | TritonDType): boolean => d.startsWith('float') || d === 'bfloat16';
export const isIntDType = (d: NpDType | TritonDType): boolean => d.startsWith('int') || d.startsWith('uint');
export const isUnsigned = (d: NpDType | TritonDType): boolean => d.startsWith('uint');
export const isSigned = (d: NpDType | TritonDType): boolean => d.startsWith('int');

const npIntOf = (signed: boolean, b: number): NpDType => `${signed ? '' : 'u'}int${b}` as NpDType;
const npFloatOf = (b: number): NpDType => `float${b}` as NpDType;

/** The smallest float that holds every value of an integer dtype, as NumPy's promotion picks it. */
function floatForInt(d: NpDType): number {
  const b = bits(d);
  return b <= 8 ? 16 : b <= 16 ? 32 : 64;
}

/** np.result_type of two arrays (NumPy 2: 0-d arrays count as arrays). */
export function promote(a: NpDType, b: NpDType): NpDType {
  if (a === b) return a;
  if (a === 'bool') return b;
  if (b === 'bool') return a;
  const fa = isFloatDType(a);
  const fb = isFloatDType(b);
  if (fa && fb) return bits(a) >= bits(b) ? a : b;
  if (fa || fb) {
    const [f, i] = fa ? [a, b] : [b, a];
    return npFloatOf(Math.max(bits(f), floatForInt(i)));
  }
  if (isSigned(a) === isSigned(b)) return bits(a) >= bits(b) ? a : b;
  const [u, s] = isUnsigned(a) ? [a, b] : [b, a];
  if (bits(u) < bits(s)) return s;
  return bits(u) === 64 ? 'float64' : npIntOf(true, bits(u) * 2);
}

/** The dtype of array OP python-scalar in NumPy 2 (NEP 50): the scalar takes the array's dtype unless it is a float meeting integers. */
export function weakPromote(arr: NpDType, s: PyScalar): NpDType {
  if (s.py === 'float') return isFloatDType(arr) ? arr : 'float64';
  if (arr === 'bool') return 'int64';
  if (isIntDType(arr)) {
    const [lo, hi] = intRange(arr);
    if ((s.value as bigint) < lo || (s.value as bigint) > hi) throw new Error(`NumPy 2 refuses Python integer ${s.value} with ${arr} (out of bounds)`);
  }
  return arr;
}

export function intRange(d: NpDType): [bigint, bigint] {
  if (d === 'bool') return [0n, 1n];
  const b = BigInt(bits(d));
  return isUnsigned(d) ? [0n, (1n << b) - 1n] : [-(1n << (b - 1n)), (1n << (b - 1n)) - 1n];
}

/** Rounds to a float dtype. */
export function roundTo(d: NpDType | 'bfloat16', v: number): number {
  switch (d) {
    case 'float16':
      return roundF16(v);
    case 'float32':
      return Math.fround(v);
    case 'bfloat16':
      return roundBF16(v);
    default:
      return v;
  }
}

function wrap(d: NpDType, v: bigint): bigint {
  if (d === 'bool') return v !== 0n ? 1n : 0n;
  return isUnsigned(d) ? BigInt.asUintN(bits(d), v) : BigInt.asIntN(bits(d), v);
}

/** One element converted as NumPy's astype does it (float to integer truncates toward zero; integers wrap). */
export function castScalar(v: Scalar, from: NpDType, to: NpDType): Scalar {
  if (from === to) return v;
  if (to === 'bool') return (typeof v === 'bigint' ? v !== 0n : v !== 0) ? 1n : 0n;
  if (isFloatDType(to)) return roundTo(to, Number(v));
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`casting ${v} to ${to} is undefined in NumPy`);
    return wrap(to, BigInt(Math.trunc(v)));
  }
  return wrap(to, v);
}

// ---- arrays --------------------------------------------------------------------------------------------------

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function array(dtype: NpDType, shape: readonly number[], values: ArrayLike<Scalar | boolean>): NdArray {
  if (values.length !== numel(shape)) throw new Error(`${values.length} values for shape [${shape}]`);
  const data = Array.from(values, (v) => (isFloatDType(dtype) ? roundTo(dtype, Number(v)) : wrap(dtype, typeof v === 'bigint' ? v : BigInt(Number(v)))));
  return { dtype, shape: [...shape], data };
}

export const full = (dtype: NpDType, shape: readonly number[], value: Scalar): NdArray => array(dtype, shape, Array(numel(shape)).fill(value));
export const arange = (dtype: NpDType, start: number, end: number): NdArray => array(dtype, [end - start], Array.from({ length: end - start }, (_, i) => start + i));

export const astype = (a: NdArray, to: NpDType): NdArray => ({ dtype: to, shape: a.shape, data: a.data.map((v) => castScalar(v, a.dtype, to)) });

/** x.view(dtype): the same bytes read as another dtype of one width. */
export function view(a: NdArray, to: NpDType): NdArray {
  if (bits(a.dtype) !== bits(to)) throw new Error(`view ${a.dtype} as ${to}: widths differ`);
  const b = bits(to);
  const buf = new ArrayBuffer(8);
  const dv = new DataView(buf);
  const data = a.data.map((v) => {
    if (a.dtype === 'float32') dv.setFloat32(0, v as number, true);
    else if (a.dtype === 'float64') dv.setFloat64(0, v as number, true);
    else if (a.dtype === 'float16') throw new Error('view of float16 is not needed here');
    else dv.setBigUint64(0, BigInt.asUintN(64, v as bigint), true);
    if (to === 'float32') return dv.getFloat32(0, true);
    if (to === 'float64') return dv.getFloat64(0, true);
    return wrap(to, dv.getBigUint64(0, true) & ((1n << BigInt(b)) - 1n));
  });
  return { dtype: to, shape: a.shape, data };
}

export const reshape = (a: NdArray, shape: readonly number[]): NdArray => {
  if (numel(shape) !== a.data.length) throw new Error(`cannot reshape [${a.shape}] to [${shape}]`);
  return { ...a, shape: [...shape] };
};

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const pa = [...Array<number>(n - a.length).fill(1), ...a];
  const pb = [...Array<number>(n - b.length).fill(1), ...b];
  return pa.map((d, i) => {
    const e = pb[i]!;
    if (d === e || e === 1) return d;
    if (d === 1) return e;
    throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
  });
}

/** Reads `a` at the row-major index `i` of the broadcast shape `shape`. */
function broadcastReader(a: NdArray, shape: readonly number[]): (i: number) => Scalar {
  if (a.data.length === 1) return () => a.data[0]!;
  const pad = shape.length - a.shape.length;
  const st = strides(a.shape);
  const outSt = strides(shape);
  return (i) => {
    let off = 0;
    for (let d = 0; d < shape.length; d++) {
      const coord = Math.floor(i / outSt[d]!) % shape[d]!;
      const ad = d - pad;
      if (ad >= 0 && a.shape[ad] !== 1) off += coord * st[ad]!;
    }
    return a.data[off]!;
  };
}

export function transpose(a: NdArray): NdArray {
  if (a.shape.length !== 2) throw new Error('transpose of a 2-d array only');
  const [m, n] = a.shape as [number, number];
  const data = new Array<Scalar>(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) data[j * m + i] = a.data[i * n + j]!;
  return { dtype: a.dtype, shape: [n, m], data };
}

/** np.flip along an axis. */
export function flip(a: NdArray, axis: number): NdArray {
  const st = strides(a.shape);
  const len = a.shape[axis]!;
  const data = a.data.map((_, i) => {
    const c = Math.floor(i / st[axis]!) % len;
    return a.data[i + (len - 1 - 2 * c) * st[axis]!]!;
  });
  return { ...a, data };
}

// ---- ufuncs --------------------------------------------------------------------------------------------------

type IntFn = (x: bigint, y: bigint, d: NpDType) => bigint;
type FloatFn = (x: number, y: number) => number;

function binaryUfunc(a: Operand, b: Operand, loop: (rt: NpDType) => NpDType, intFn: IntFn | undefined, floatFn: FloatFn | undefined, out?: NpDType): NdArray {
  let rt: NpDType;
  if (!isPy(a) && !isPy(b)) rt = promote(a.dtype, b.dtype);
  else if (isPy(a) && !isPy(b)) rt = weakPromote(b.dtype, a);
  else if (!isPy(a) && isPy(b)) rt = weakPromote(a.dtype, b);
  else throw new Error('two Python scalars');
  const ct = loop(rt);
  const toArr = (x: Operand): NdArray => (isPy(x) ? array(ct, [], [x.value]) : x);
  const [x, y] = [toArr(a), toArr(b)];
  const shape = broadcastShape(x.shape, y.shape);
  const rx = broadcastReader(x, shape);
  const ry = broadcastReader(y, shape);
  const n = numel(shape);
  const data = new Array<Scalar>(n);
  const resultType = out ?? ct;
  for (let i = 0; i < n; i++) {
    const u = castScalar(rx(i), x.dtype, ct);
    const v = castScalar(ry(i), y.dtype, ct);
    let r: Scalar;
    if (isFloatDType(ct)) {
      if (!floatFn) throw new Error(`no ${ct} loop`);
      r = floatFn(u as number, v as number);
      r = typeof r === 'boolean' ? (r ? 1n : 0n) : resultType === 'bool' ? (r ? 1n : 0n) : roundTo(ct, r);
    } else {
      if (!intFn) throw new Error(`no ${ct} loop`);
      r = intFn(u as bigint, v as bigint, ct);
      r = resultType === 'bool' ? (r ? 1n : 0n) : wrap(ct, r);
    }
    data[i] = r;
  }
  return { dtype: resultType, shape, data };
}

const same = (rt: NpDType): NpDType => rt;

export const add = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => x + y, (x, y) => x + y);
export const subtract = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => x - y, (x, y) => x - y);
export const multiply = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => x * y, (x, y) => x * y);
/** np.true_divide: integers divide in float64. */
export const trueDivide = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, (rt) => (isFloatDType(rt) ? rt : 'float64'), undefined, (x, y) => x / y);
/** np.fmod: C's remainder, with the dividend's sign (0 for an integer division by zero, as NumPy gives). */
export const fmod = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => (y === 0n ? 0n : x % y), (x, y) => x % y);
export const bitwiseAnd = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => x & y, undefined);
export const bitwiseOr = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => x | y, undefined);
export const bitwiseXor = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y) => x ^ y, undefined);
/** np.left_shift: shifting by the width or more gives 0. */
export const leftShift = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y, d) => (y >= BigInt(bits(d)) ? 0n : x << y), undefined);
/** np.right_shift: arithmetic for signed dtypes, logical for unsigned ones (bigints of unsigned dtypes are non-negative). */
export const rightShift = (a: Operand, b: Operand): NdArray => binaryUfunc(a, b, same, (x, y, d) => (y >= BigInt(bits(d)) ? (x < 0n ? -1n : 0n) : x >> y), undefined);

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export function compare(op: CompareOp, a: Operand, b: Operand): NdArray {
  const f = <T extends Scalar>(x: T, y: T): boolean => {
    switch (op) {
      case '==':
        return x === y;
      case '!=':
        return x !== y;
      case '<':
        return x < y;
      case '<=':
        return x <= y;
      case '>':
        return x > y;
      case '>=':
        return x >= y;
    }
  };
  return binaryUfunc(
    a,
    b,
    same,
    (x, y) => (f(x, y) ? 1n : 0n),
    (x, y) => (f(x, y) ? 1 : 0),
    'bool',
  );
}

export function negative(a: NdArray): NdArray {
  return { ...a, data: a.data.map((v) => (typeof v === 'bigint' ? wrap(a.dtype, -v) : -v)) };
}
export function invert(a: NdArray): NdArray {
  return { ...a, data: a.data.map((v) => wrap(a.dtype, ~(v as bigint))) };
}
export function abs(a: NdArray): NdArray {
  return { ...a, data: a.data.map((v) => (typeof v === 'bigint' ? wrap(a.dtype, v < 0n ? -v : v) : Math.abs(v))) };
}
/** A float ufunc of one argument (np.exp, np.sqrt, ...), computed in float64 and rounded to the array's dtype (integers give float64). */
export function mathFn(a: NdArray, fn: (x: number) => number): NdArray {
  const d = isFloatDType(a.dtype) ? a.dtype : 'float64';
  return { dtype: d, shape: a.shape, data: a.data.map((v) => roundTo(d, fn(Number(v)))) };
}

export function where(cond: NdArray, x: NdArray, y: NdArray): NdArray {
  const rt = promote(x.dtype, y.dtype);
  const shape = broadcastShape(broadcastShape(cond.shape, x.shape), y.shape);
  const [rc, rx, ry] = [broadcastReader(cond, shape), broadcastReader(x, shape), broadcastReader(y, shape)];
  const data = Array.from({ length: numel(shape) }, (_, i) => (rc(i) ? castScalar(rx(i), x.dtype, rt) : castScalar(ry(i), y.dtype, rt)));
  return { dtype: rt, shape, data };
}

// ---- reductions ----------------------------------------------------------------------------------------------

/** Calls fn with the flat indices of each line along `axis` (axis null: one line of everything). */
function lines(shape: readonly number[], axis: number | null, fn: (indices: number[], outIndex: number) => void): number[] {
  if (axis === null) {
    fn(
      Array.from({ length: numel(shape) }, (_, i) => i),
      0,
    );
    return [];
  }
  const st = strides(shape);
  const len = shape[axis]!;
  const outShape = shape.filter((_, i) => i !== axis);
  const n = numel(outShape);
  const outSt = strides(outShape);
  for (let o = 0; o < n; o++) {
    let base = 0;
    for (let d = 0, od = 0; d < shape.length; d++) {
      if (d === axis) continue;
      base += (Math.floor(o / outSt[od]!) % outShape[od]!) * st[d]!;
      od++;
    }
    fn(
      Array.from({ length: len }, (_, k) => base + k * st[axis]!),
      o,
    );
  }
  return outShape;
}

function reduceShape(shape: readonly number[], axis: number | null, keepdims: boolean): number[] {
  if (axis === null) return keepdims ? shape.map(() => 1) : [];
  const s = [...shape];
  if (keepdims) s[axis] = 1;
  else s.splice(axis, 1);
  return s;
}

function reduceWith(a: NdArray, axis: number | null, keepdims: boolean, dtype: NpDType, fn: (values: Scalar[]) => Scalar): NdArray {
  const ax = axis !== null && axis < 0 ? axis + a.shape.length : axis;
  const out: Scalar[] = [];
  lines(a.shape, ax, (idx, o) => {
    out[o] = fn(idx.map((i) => a.data[i]!));
  });
  return { dtype, shape: reduceShape(a.shape, ax, keepdims), data: out };
}

/** np.sum: integers narrower than 64 bits sum in the platform integer (int64 / uint64); floats sum exactly here and round once. */
export function sum(a: NdArray, axis: number | null = null, keepdims = false): NdArray {
  const d: NpDType = isFloatDType(a.dtype) ? a.dtype : isUnsigned(a.dtype) ? 'uint64' : 'int64';
  return reduceWith(a, axis, keepdims, d, (vs) =>
    isFloatDType(d)
      ? roundTo(
          d,
          vs.reduce<number>((s, v) => s + (v as number), 0),
        )
      : wrap(
          d,
          vs.reduce<bigint>((s, v) => s + (v as bigint), 0n),
        ),
  );
}

const maxOf = (vs: Scalar[]): Scalar => vs.reduce((m, v) => (Number.isNaN(m as number) ? m : Number.isNaN(v as number) || v > m ? v : m));
const minOf = (vs: Scalar[]): Scalar => vs.reduce((m, v) => (Number.isNaN(m as number) ? m : Number.isNaN(v as number) || v < m ? v : m));
export const max = (a: NdArray, axis: number | null = null, keepdims = false): NdArray => reduceWith(a, axis, keepdims, a.dtype, maxOf);
export const min = (a: NdArray, axis: number | null = null, keepdims = false): NdArray => reduceWith(a, axis, keepdims, a.dtype, minOf);
/** np.argmax / np.argmin: the first index of the extreme value (int64). */
export const argmax = (a: NdArray, axis: number | null = null, keepdims = false): NdArray => reduceWith(a, axis, keepdims, 'int64', (vs) => BigInt(vs.indexOf(maxOf(vs))));
export const argmin = (a: NdArray, axis: number | null = null, keepdims = false): NdArray => reduceWith(a, axis, keepdims, 'int64', (vs) => BigInt(vs.indexOf(minOf(vs))));
/** np.bitwise_xor.reduce. */
export const xorReduce = (a: NdArray, axis: number | null = null, keepdims = false): NdArray =>
  reduceWith(a, axis, keepdims, a.dtype, (vs) =>
    wrap(
      a.dtype,
      vs.reduce<bigint>((s, v) => s ^ (v as bigint), 0n),
    ),
  );

/** Values of `a` at the indices `idx` along `axis` (np.take_along_axis with idx of the reduced shape, keepdims). */
export function takeAlongAxis(a: NdArray, idx: NdArray, axis: number): NdArray {
  const ax = axis < 0 ? axis + a.shape.length : axis;
  const data: Scalar[] = [];
  lines(a.shape, ax, (indices, o) => {
    data[o] = a.data[indices[Number(idx.data[o])]!]!;
  });
  return { dtype: a.dtype, shape: reduceShape(a.shape, ax, true), data };
}

/** np.cumsum / np.cumprod along an axis, sequentially in the array's dtype (small integers in int64 / uint64, as NumPy does). */
export function cumulative(a: NdArray, axis: number, op: 'sum' | 'prod'): NdArray {
  const d: NpDType = isFloatDType(a.dtype) ? a.dtype : isUnsigned(a.dtype) ? 'uint64' : 'int64';
  const data = new Array<Scalar>(a.data.length);
  lines(a.shape, axis, (idx) => {
    let acc: Scalar = isFloatDType(d) ? (op === 'sum' ? 0 : 1) : op === 'sum' ? 0n : 1n;
    for (const i of idx) {
      const v = castScalar(a.data[i]!, a.dtype, d);
      acc = typeof acc === 'bigint' ? wrap(d, op === 'sum' ? acc + (v as bigint) : acc * (v as bigint)) : roundTo(d, op === 'sum' ? acc + (v as number) : acc * (v as number));
      data[i] = acc;
    }
  });
  return { dtype: d, shape: a.shape, data };
}

/** np.matmul of 2-d arrays: products summed exactly here, rounded once to the result dtype (integers wrap). */
export function matmul(a: NdArray, b: NdArray): NdArray {
  const [m, k] = a.shape as [number, number];
  const [k2, n] = b.shape as [number, number];
  if (k !== k2) throw new Error(`matmul [${a.shape}] @ [${b.shape}]`);
  const rt = promote(a.dtype, b.dtype);
  const data = new Array<Scalar>(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      if (isFloatDType(rt)) {
        let s = 0;
        for (let p = 0; p < k; p++) s += Number(a.data[i * k + p]!) * Number(b.data[p * n + j]!);
        data[i * n + j] = roundTo(rt, s);
      } else {
        let s = 0n;
        for (let p = 0; p < k; p++) s += BigInt(a.data[i * k + p]!) * BigInt(b.data[p * n + j]!);
        data[i * n + j] = wrap(rt, s);
      }
    }
  }
  return { dtype: rt, shape: [m, n], data };
}

// ---- Triton's test helpers -----------------------------------------------------------------------------------

/** A uniform bigint in [low, high), from 64 random bits (the bias is below 2^-64 per unit of range). */
function randBig(rs: Random, low: bigint, high: bigint): bigint {
  const r = (BigInt(rs.nextUint32()) << 32n) | BigInt(rs.nextUint32());
  return low + (r % (high - low));
}

/**
 * triton._internal_testing.numpy_random, drawn from kt's generator (same distributions, not the same numbers as
 * NumPy's RandomState): integers uniform in [low, high) with zeros replaced by 1, floats standard normal, bf16
 * a float32 normal with its low 16 bits cleared, fp8 the bit patterns 20..39 (as int8), bool normal > 0.
 */
export function numpyRandom(shape: number | readonly number[], dtype: TritonDType, rs: Random, low?: number, high?: number): NdArray {
  const s = typeof shape === 'number' ? [shape] : [...shape];
  const n = numel(s);
  if (isIntDType(dtype)) {
    const d = dtype as NpDType;
    const [min, max] = intRange(d);
    const lo = low === undefined ? min : BigInt(low) > min ? BigInt(low) : min;
    const hi = high === undefined ? max : BigInt(high) < max ? BigInt(high) : max;
    return array(
      d,
      s,
      Array.from({ length: n }, () => {
        const v = randBig(rs, lo, hi);
        return v === 0n ? 1n : v;
      }),
    );
  }
  if (dtype.startsWith('float8')) return array('int8', s, Array.from({ length: n }, () => 20 + Math.floor(rs.next() * 20)));
  if (dtype === 'bfloat16') return array('float32', s, Array.from({ length: n }, () => truncateToBf16(rs.normal())));
  if (isFloatDType(dtype)) return array(dtype as NpDType, s, Array.from({ length: n }, () => rs.normal()));
  if (dtype === 'bool') return array('bool', s, Array.from({ length: n }, () => (rs.normal() > 0 ? 1n : 0n)));
  throw new Error(`unknown dtype ${dtype}`);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** (x.astype(float32).view(uint32) & 0xffff0000).view(float32): a float32 truncated to bf16's precision. */
export function truncateToBf16(x: number): number {
  f32[0] = x;
  u32[0] = u32[0]! & 0xffff0000;
  return f32[0]!;
}

/** kt's dtype for a Triton dtype string. */
export function ktDType(d: TritonDType): DTypeName {
  const map: Record<TritonDType, DTypeName> = {
    bool: 'i1',
    int8: 'i8',
    int16: 'i16',
    int32: 'i32',
    int64: 'i64',
    uint8: 'u8',
    uint16: 'u16',
    uint32: 'u32',
    uint64: 'u64',
    float16: 'f16',
    float32: 'f32',
    float64: 'f64',
    bfloat16: 'bf16',
    float8e4nv: 'f8e4m3',
    float8_e4m3fn: 'f8e4m3',
    float8e5: 'f8e5m2',
    float8_e5m2: 'f8e5m2',
  };
  return map[d];
}

/** to_triton: a kt tensor of the array's values, as `dst` (bf16 from float32 rounds; fp8 from int8 takes the bits, from floats the values). */
export function toKt(a: NdArray, dst?: TritonDType): Tensor {
  const d = dst ?? a.dtype;
  if (d.startsWith('float8') && a.dtype === 'int8') {
    const decode = ktDType(d) === 'f8e4m3' ? e4m3FromBits : e5m2FromBits;
    return tensor(
      a.data.map((v) => decode(Number(v) & 0xff)),
      { dtype: ktDType(d), shape: a.shape },
    );
  }
  return tensor(a.data, { dtype: ktDType(d), shape: a.shape });
}

const npDTypeOf: Record<DTypeName, NpDType> = {
  i1: 'bool',
  i8: 'int8',
  i16: 'int16',
  i32: 'int32',
  i64: 'int64',
  u8: 'uint8',
  u16: 'uint16',
  u32: 'uint32',
  u64: 'uint64',
  f8e4m3: 'float32',
  f8e5m2: 'float32',
  f16: 'float16',
  bf16: 'float32',
  f32: 'float32',
  f64: 'float64',
};

/** to_numpy: a kt tensor's values as an array (bf16 as float32, fp8 as float32 values). */
export function fromKt(t: Tensor): NdArray {
  return array(npDTypeOf[t.dtype.name], t.shape, Array.from(t.toArray() as ArrayLike<Scalar>));
}

export interface Tolerance {
  rtol?: number;
  atol?: number;
}

/**
 * np.testing.assert_allclose(got, want): |got - want| <= atol + rtol * |want|, NaN equal to NaN, infinities equal
 * when equal; two integer arrays are compared exactly (kt's integer arithmetic is exact, so no tolerance is due).
 * The shapes must match after broadcasting `want` (a 0-d reference broadcasts, as in NumPy).
 */
export function assertAllclose(got: NdArray, want: NdArray | number, tol: Tolerance = {}, what = 'result'): void {
  const w = typeof want === 'number' ? array('float64', [], [want]) : want;
  const rtol = tol.rtol ?? 1e-7;
  const atol = tol.atol ?? 0;
  const shape = broadcastShape(got.shape, w.shape);
  if (numel(shape) !== got.data.length) throw new Error(`${what}: shape [${got.shape}] against reference [${w.shape}]`);
  const rw = broadcastReader(w, shape);
  const exactInts = !isFloatDType(got.dtype) && !isFloatDType(w.dtype);
  const bad: string[] = [];
  let count = 0;
  for (let i = 0; i < got.data.length; i++) {
    const g = got.data[i]!;
    const r = rw(i);
    let ok: boolean;
    if (exactInts) ok = BigInt(g) === BigInt(r);
    else {
      const [gn, rn] = [Number(g), Number(r)];
      if (Number.isNaN(gn) || Number.isNaN(rn)) ok = Number.isNaN(gn) && Number.isNaN(rn);
      else if (!Number.isFinite(gn) || !Number.isFinite(rn)) ok = gn === rn;
      else ok = Math.abs(gn - rn) <= atol + rtol * Math.abs(rn);
    }
    if (!ok && count++ < 8) bad.push(`[${i}] got ${g}, want ${r}`);
  }
  expect(bad, `${what}: ${count} of ${got.data.length} elements differ (rtol ${rtol}, atol ${atol}${exactInts ? ', integers exactly' : ''}): ${bad.slice(0, 3).join('; ')}`).toEqual([]);
}

/** np.testing.assert_equal: exact, NaN equal to NaN. */
export const assertEqual = (got: NdArray, want: NdArray | number, what = 'result'): void => assertAllclose(got, want, { rtol: 0, atol: 0 }, what);
