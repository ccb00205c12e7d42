// What every elementwise op computes for one element, written as a JavaScript expression. The constant
// folder and the interpreter both use this table, so a folded constant and an interpreted value always agree.
//
// The JavaScript form of a value of each IR type:
//   i1            number 0 or 1
//   i8, i16, i32  number, the signed reading of the bits (signless ops choose signed or unsigned)
//   i64           bigint, the signed reading of the bits
//   f8E4M3FN f8E5M2 f16 bf16 f32
//                 number, exactly a value of the type (every result is rounded to nearest even, but an arith.truncf
//                 with rounding = "rtz", which rounds toward zero; fp8 saturates to its largest finite value, as PTX's
//                 cvt.rn.satfinite does: see src/numerics.ts)
//   f64           number
//   pointer       number, an address (the interpreter's flat address space)
// Expressions refer to helpers as `$.name` (see elementwiseHelpers below).
import { bigIntToDoubleOdd, bf16FromBits, bf16ToBits, e4m3FromBits, e4m3ToBits, e5m2FromBits, e5m2ToBits, f16FromBits, f16ToBits, roundBF16, roundE4M3, roundE5M2, roundF16, roundTowardZero } from '../../numerics.ts';
import type { Operation } from './core.ts';
import { FloatType, IntType, PointerType, elementType, type ScalarType } from './types.ts';

export type Expr = string;

/** Rounds a double expression to a float type. */
export function roundTo(t: ScalarType, e: Expr): Expr {
  if (!(t instanceof FloatType)) throw new Error(`roundTo on ${t.text}`);
  switch (t.text) {
    case 'f64':
      // Parenthesised: the expression is composed into larger ones (1 / (1 + e), not 1 / 1 + e).
      return `(${e})`;
    case 'f32':
      return `Math.fround(${e})`;
    case 'f16':
      return `$.f16(${e})`;
    case 'bf16':
      return `$.bf16(${e})`;
    case 'f8E4M3FN':
      return `$.e4m3(${e})`;
    case 'f8E5M2':
      return `$.e5m2(${e})`;
  }
}

/** Wraps an integer expression to the canonical form of an iW value. */
export function wrapInt(w: number, e: Expr): Expr {
  switch (w) {
    case 64:
      return `BigInt.asIntN(64, ${e})`;
    case 32:
      return `((${e}) | 0)`;
    case 1:
      return `((${e}) & 1)`;
    default:
      return `((${e}) << ${32 - w} >> ${32 - w})`;
  }
}

/** The unsigned reading of an iW value. */
function unsigned(w: number, e: Expr): Expr {
  switch (w) {
    case 64:
      return `BigInt.asUintN(64, ${e})`;
    case 32:
      return `((${e}) >>> 0)`;
    case 1:
      return e;
    default:
      return `((${e}) & ${2 ** w - 1})`;
  }
}

const intWidth = (t: ScalarType): number => {
  if (!(t instanceof IntType)) throw new Error(`expected an integer type, got ${t.text}`);
  return t.width;
};

const big = (w: number, n: number): string => (w === 64 ? `${n}n` : String(n));

/** Bytes per element of a pointee, for pointer arithmetic. */
export function pointeeBytes(p: PointerType): number {
  const t = p.pointee;
  if (t instanceof IntType) return Math.max(1, t.width / 8);
  if (t instanceof FloatType) return t.width / 8;
  return 8;
}

function intBinary(name: string, w: number, a: Expr, b: Expr): Expr | undefined {
  const n = (k: number): string => big(w, k);
  switch (name) {
    case 'arith.addi':
      return wrapInt(w, `${a} + ${b}`);
    case 'arith.subi':
      return wrapInt(w, `${a} - ${b}`);
    case 'arith.muli':
      return w === 32 ? `Math.imul(${a}, ${b})` : wrapInt(w, `${a} * ${b}`);
    // Division by zero is unspecified on GPUs; kt defines it as -1 (all ones) and the remainder as the dividend.
    case 'arith.divsi':
      return w === 64 ? `(${b} === 0n ? -1n : BigInt.asIntN(64, ${a} / ${b}))` : `(${b} === 0 ? -1 : ${wrapInt(w, `Math.trunc(${a} / ${b})`)})`;
    case 'arith.divui':
      return w === 64
        ? `(${b} === 0n ? -1n : BigInt.asIntN(64, ${unsigned(w, a)} / ${unsigned(w, b)}))`
        : `(${b} === 0 ? -1 : ${wrapInt(w, `Math.trunc(${unsigned(w, a)} / ${unsigned(w, b)})`)})`;
    case 'arith.remsi':
      return `(${b} === ${n(0)} ? ${a} : ${wrapInt(w, `${a} % ${b}`)})`;
    case 'arith.remui':
      return `(${b} === ${n(0)} ? ${a} : ${wrapInt(w, `${unsigned(w, a)} % ${unsigned(w, b)}`)})`;
    case 'arith.andi':
      return `(${a} & ${b})`;
    case 'arith.ori':
      return `(${a} | ${b})`;
    case 'arith.xori':
      return `(${a} ^ ${b})`;
    // PTX clamps shift amounts at the bit width: a left or logical shift by >= w gives 0.
    case 'arith.shli':
      return w === 64
        ? `(${unsigned(64, b)} >= 64n ? 0n : BigInt.asIntN(64, ${a} << ${unsigned(64, b)}))`
        : `(${unsigned(w, b)} >= ${w} ? 0 : ${wrapInt(w, `${a} << ${unsigned(w, b)}`)})`;
    case 'arith.shrsi':
      return w === 64 ? `(${a} >> (${unsigned(64, b)} >= 63n ? 63n : ${unsigned(64, b)}))` : `(${a} >> Math.min(${unsigned(w, b)}, ${w - 1}))`;
    case 'arith.shrui':
      return w === 64
        ? `(${unsigned(64, b)} >= 64n ? 0n : BigInt.asIntN(64, ${unsigned(64, a)} >> ${unsigned(64, b)}))`
        : `(${unsigned(w, b)} >= ${w} ? 0 : ${wrapInt(w, `${unsigned(w, a)} >>> ${unsigned(w, b)}`)})`;
    case 'arith.maxsi':
      return `(${a} >= ${b} ? ${a} : ${b})`;
    case 'arith.minsi':
      return `(${a} <= ${b} ? ${a} : ${b})`;
    case 'arith.maxui':
      return `(${unsigned(w, a)} >= ${unsigned(w, b)} ? ${a} : ${b})`;
    case 'arith.minui':
      return `(${unsigned(w, a)} <= ${unsigned(w, b)} ? ${a} : ${b})`;
    case 'tt.mulhiui':
      return w === 64 ? `BigInt.asIntN(64, (${unsigned(64, a)} * ${unsigned(64, b)}) >> 64n)` : `$.umulhi32(${a}, ${b})`;
  }
  return undefined;
}

function floatBinary(name: string, t: ScalarType, a: Expr, b: Expr): Expr | undefined {
  switch (name) {
    case 'arith.addf':
      return roundTo(t, `${a} + ${b}`);
    case 'arith.subf':
      return roundTo(t, `${a} - ${b}`);
    case 'arith.mulf':
      return roundTo(t, `${a} * ${b}`);
    case 'arith.divf':
      return roundTo(t, `${a} / ${b}`);
    case 'arith.remf':
      return roundTo(t, `${a} % ${b}`);
    case 'arith.maximumf':
      return `Math.max(${a}, ${b})`;
    case 'arith.minimumf':
      return `Math.min(${a}, ${b})`;
    case 'arith.maxnumf':
      return `$.maxnum(${a}, ${b})`;
    case 'arith.minnumf':
      return `$.minnum(${a}, ${b})`;
  }
  return undefined;
}

const floatPredicates: Record<string, (a: Expr, b: Expr) => Expr> = {
  oeq: (a, b) => `${a} === ${b}`,
  one: (a, b) => `(${a} < ${b} || ${a} > ${b})`,
  olt: (a, b) => `${a} < ${b}`,
  ole: (a, b) => `${a} <= ${b}`,
  ogt: (a, b) => `${a} > ${b}`,
  oge: (a, b) => `${a} >= ${b}`,
  ord: (a, b) => `(${a} === ${a} && ${b} === ${b})`,
  ueq: (a, b) => `!(${a} < ${b} || ${a} > ${b})`,
  une: (a, b) => `${a} !== ${b}`,
  ult: (a, b) => `!(${a} >= ${b})`,
  ule: (a, b) => `!(${a} > ${b})`,
  ugt: (a, b) => `!(${a} <= ${b})`,
  uge: (a, b) => `!(${a} < ${b})`,
  uno: (a, b) => `(${a} !== ${a} || ${b} !== ${b})`,
};

/** An integer comparison; w = 0 compares plain numbers (pointers, which are non-negative addresses). */
function intPredicate(pred: string, w: number, a: Expr, b: Expr): Expr {
  const op = { eq: '===', ne: '!==', slt: '<', sle: '<=', sgt: '>', sge: '>=', ult: '<', ule: '<=', ugt: '>', uge: '>=' }[pred];
  if (!op) throw new Error(`unknown predicate ${pred}`);
  return pred.startsWith('u') && w > 0 ? `${unsigned(w, a)} ${op} ${unsigned(w, b)}` : `${a} ${op} ${b}`;
}

const unaryMath: Record<string, (a: Expr) => Expr> = {
  'math.exp': (a) => `Math.exp(${a})`,
  'math.exp2': (a) => `Math.pow(2, ${a})`,
  'math.log': (a) => `Math.log(${a})`,
  'math.log2': (a) => `Math.log2(${a})`,
  'math.sqrt': (a) => `Math.sqrt(${a})`,
  'math.rsqrt': (a) => `1 / Math.sqrt(${a})`,
  'math.sin': (a) => `Math.sin(${a})`,
  'math.cos': (a) => `Math.cos(${a})`,
  'math.tanh': (a) => `Math.tanh(${a})`,
  'math.erf': (a) => `$.erf(${a})`,
  'math.log1p': (a) => `Math.log1p(${a})`,
};

/** `rounding` is arith.truncf's rounding mode ('rtz' rounds toward zero; absent, to nearest even). */
function cast(name: string, from: ScalarType, to: ScalarType, a: Expr, rounding?: string): Expr | undefined {
  switch (name) {
    case 'arith.extsi': {
      const tw = intWidth(to);
      return tw === 64 ? `BigInt(${a})` : a;
    }
    case 'arith.extui': {
      const [fw, tw] = [intWidth(from), intWidth(to)];
      const u = unsigned(fw, a);
      return tw === 64 ? `BigInt(${u})` : wrapInt(tw, u);
    }
    case 'arith.trunci': {
      const [fw, tw] = [intWidth(from), intWidth(to)];
      return wrapInt(tw, fw === 64 ? `Number(BigInt.asIntN(32, ${a}))` : a);
    }
    case 'arith.extf':
      return a;
    case 'arith.truncf':
      return rounding === 'rtz' ? `$.rtz(${a}, '${to.text}')` : roundTo(to, a);
    case 'arith.sitofp':
      return roundTo(to, intWidth(from) === 64 ? int64AsDouble(to, a) : a);
    case 'arith.uitofp':
      return roundTo(to, intWidth(from) === 64 ? int64AsDouble(to, unsigned(64, a)) : unsigned(intWidth(from), a));
    case 'arith.fptosi':
      return `$.fptoi(${a}, ${intWidth(to)}, true)`;
    case 'arith.fptoui':
      return `$.fptoi(${a}, ${intWidth(to)}, false)`;
    case 'tt.bitcast':
      return bitcast(from, to, a);
    case 'tt.ptr_to_int':
      return `BigInt(${a})`;
    case 'tt.int_to_ptr':
      return `Number(${a})`;
  }
  return undefined;
}

/**
 * A 64-bit integer (a bigint) as a double that rounds to `to` as the integer would: to nearest for f64 itself; for a
 * narrower float, rounded to odd (a double to nearest, then the narrower float, would round twice).
 */
function int64AsDouble(to: ScalarType, a: Expr): Expr {
  return to.text === 'f64' ? `Number(${a})` : `$.doubleOdd(${a})`;
}

function bitcast(from: ScalarType, to: ScalarType, a: Expr): Expr {
  if (from instanceof PointerType && to instanceof PointerType) return a;
  if (from instanceof IntType && to instanceof IntType) return a;
  if (from instanceof IntType && to instanceof FloatType) return `$.floatFromBits(${a}, '${to.text}')`;
  if (from instanceof FloatType && to instanceof IntType) return `$.floatToBits(${a}, '${from.text}')`;
  if (from instanceof FloatType && to instanceof FloatType) return `$.floatFromBits($.floatToBits(${a}, '${from.text}'), '${to.text}')`;
  throw new Error(`no bitcast from ${from.text} to ${to.text}`);
}

/**
 * The expression for one element of an elementwise op's (single) result, given the expressions of its
 * operands' elements; undefined for ops that are not elementwise.
 */
export function elementExpr(op: Operation, args: readonly Expr[]): Expr | undefined {
  const name = op.name;
  const rt = elementType(op.results[0]!.type);
  const t0 = op.operands[0] ? elementType(op.operands[0].type) : rt;
  const [a, b, c] = args as [Expr, Expr, Expr];
  if (name === 'arith.cmpi') return `(${intPredicate(op.attrs['predicate'] as string, t0 instanceof IntType ? t0.width : 0, a, b)} ? 1 : 0)`;
  if (name === 'arith.cmpf') return `(${floatPredicates[op.attrs['predicate'] as string]!(a, b)} ? 1 : 0)`;
  if (name === 'arith.select') return `(${a} ? ${b} : ${c})`;
  if (name === 'arith.negf') return `(-${a})`;
  if (name === 'math.absf') return `Math.abs(${a})`;
  if (name === 'math.absi') {
    const w = intWidth(rt);
    return w === 64 ? `BigInt.asIntN(64, ${a} < 0n ? -${a} : ${a})` : wrapInt(w, `Math.abs(${a})`);
  }
  if (name === 'math.floor') return `Math.floor(${a})`;
  if (name === 'math.ceil') return `Math.ceil(${a})`;
  // a * b is exact in a double for f16/bf16/f32 operands; adding c rounds in double first, which differs
  // from a true fma only in rare halfway cases.
  if (name === 'math.fma') return roundTo(rt, rt.text === 'f64' ? `$.fma64(${a}, ${b}, ${c})` : `${a} * ${b} + ${c}`);
  const m = unaryMath[name];
  if (m) return roundTo(rt, m(a));
  if (name === 'tt.addptr') {
    const bytes = pointeeBytes(rt as PointerType);
    const off = elementType(op.operands[1]!.type) instanceof IntType && (elementType(op.operands[1]!.type) as IntType).width === 64 ? `Number(${b})` : b;
    return bytes === 1 ? `(${a} + ${off})` : `(${a} + ${off} * ${bytes})`;
  }
  if (op.operands.length === 1) return cast(name, t0, rt, a, op.attrs['rounding'] as string | undefined);
  if (rt instanceof IntType) return intBinary(name, rt.width, a, b);
  if (rt instanceof FloatType) return floatBinary(name, rt, a, b);
  return undefined;
}

/** The JavaScript literal for a constant of scalar type `t`. */
export function literal(t: ScalarType, v: number | bigint): Expr {
  if (t instanceof IntType && t.width === 64) return `${BigInt(v)}n`;
  const n = Number(v);
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

const f32Scratch = new Float32Array(1);
const i32Scratch = new Int32Array(f32Scratch.buffer);
const f64Scratch = new Float64Array(1);
const i64Scratch = new BigInt64Array(f64Scratch.buffer);

/** A double-precision erf, accurate to about 1e-15: a series near 0 and a continued fraction for the tails. */
function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from the tail.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}

/** Splits a double into high and low halves for exact products (Veltkamp/Dekker). */
function twoProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const split = (v: number): [number, number] => {
    const c = 134217729 * v;
    const hi = c - (c - v);
    return [hi, v - hi];
  };
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  const err = ah * bh - p + ah * bl + al * bh + al * bl;
  return [p, err];
}

/** The helpers that elementwise expressions call as `$.name`. */
export const elementwiseHelpers = {
  f16: roundF16,
  bf16: roundBF16,
  e4m3: roundE4M3,
  e5m2: roundE5M2,
  rtz: roundTowardZero,
  doubleOdd: bigIntToDoubleOdd,
  erf,
  maxnum: (a: number, b: number): number => (a !== a ? b : b !== b ? a : Math.max(a, b)),
  minnum: (a: number, b: number): number => (a !== a ? b : b !== b ? a : Math.min(a, b)),
  umulhi32(a: number, b: number): number {
    const [ua, ub] = [a >>> 0, b >>> 0];
    const [aH, aL, bH, bL] = [ua >>> 16, ua & 0xffff, ub >>> 16, ub & 0xffff];
    const lh = aL * bH;
    const hl = aH * bL;
    const mid = ((aL * bL) >>> 16) + (lh & 0xffff) + (hl & 0xffff);
    return (aH * bH + (lh >>> 16) + (hl >>> 16) + Math.floor(mid / 65536)) | 0;
  },
  /** Float to integer as PTX's cvt.rzi: toward zero, saturating at the type's range, NaN to 0. */
  fptoi(x: number, w: number, signed: boolean): number | bigint {
    if (x !== x) return w === 64 ? 0n : 0;
    const t = Math.trunc(x);
    if (w === 64) {
      const [lo, hi] = signed ? [-(2 ** 63), 2 ** 63] : [0, 2 ** 64];
      if (t <= lo) return signed ? -(2n ** 63n) : 0n;
      if (t >= hi) return signed ? 2n ** 63n - 1n : -1n;
      return BigInt.asIntN(64, BigInt(t));
    }
    const [lo, hi] = signed ? [-(2 ** (w - 1)), 2 ** (w - 1) - 1] : [0, 2 ** w - 1];
    const s = t < lo ? lo : t > hi ? hi : t;
    // Stored signless: the unsigned result's bits, read as signed.
    return w === 32 ? s | 0 : w === 1 ? s & 1 : (s << (32 - w)) >> (32 - w);
  },
  floatFromBits(bits: number | bigint, type: string): number {
    switch (type) {
      case 'f16':
        return f16FromBits(Number(bits) & 0xffff);
      case 'bf16':
        return bf16FromBits(Number(bits) & 0xffff);
      case 'f8E4M3FN':
        return e4m3FromBits(Number(bits) & 0xff);
      case 'f8E5M2':
        return e5m2FromBits(Number(bits) & 0xff);
      case 'f32':
        i32Scratch[0] = Number(bits);
        return f32Scratch[0]!;
      default:
        i64Scratch[0] = BigInt(bits);
        return f64Scratch[0]!;
    }
  },
  floatToBits(x: number, type: string): number | bigint {
    switch (type) {
      case 'f16':
        return (f16ToBits(x) << 16) >> 16;
      case 'bf16':
        return (bf16ToBits(x) << 16) >> 16;
      // The signed reading of the byte: the canonical form of an i8. x is an fp8 value, so it is encoded exactly
      // (e5m2's infinities included); a value holds no NaN payload or sign: every NaN comes back as 0x7f, as with f16.
      case 'f8E4M3FN':
        return (e4m3ToBits(x, false) << 24) >> 24;
      case 'f8E5M2':
        return (e5m2ToBits(x, false) << 24) >> 24;
      case 'f32':
        f32Scratch[0] = x;
        return i32Scratch[0]!;
      default:
        f64Scratch[0] = x;
        return i64Scratch[0]!;
    }
  },
  /** a * b + c rounded once, for doubles. */
  fma64(a: number, b: number, c: number): number {
    const [p, e] = twoProduct(a, b);
    const s = p + c;
    const bb = s - p;
    const err = p - (s - bb) + (c - bb);
    return s + (err + e);
  },
};

export type ElementwiseHelpers = typeof elementwiseHelpers;
