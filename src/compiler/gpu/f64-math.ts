// Double-precision transcendental functions, which PTX has no instructions for (its approximate ex2/lg2/sin/cos
// are f32 only), expanded into ordinary per-thread IR ops: range reduction, then a polynomial (or a continued
// fraction) evaluated with fma. Each result is within a few ulps of the correctly rounded one over the whole
// range, except sin and cos of arguments beyond about 1e9, where the three-part reduction by pi/2 loses bits.
// Because the expansion is IR, the lowering simulator checks it against the interpreter like everything else.
import { Builder } from '../ir/builder.ts';
import type { Value } from '../ir/core.ts';
import { f64, i1, i64, type Type } from '../ir/types.ts';

const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
// ln 2 in two parts: the first has trailing zero bits, so k * LN2_HI is exact for the k that occur.
const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
// pi/2 in three parts (33 + 33 + 53 bits), for Cody-Waite reduction.
const PIO2_1 = 1.57079632673412561417e0;
const PIO2_2 = 6.07710050630396597660e-11;
const PIO2_3 = 2.02226624871116645580e-21;
const SQRT_PI = 1.7724538509055159;

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

/** Emits IR for f64 expressions at the builder's insertion point. */
class F64 {
  constructor(
    private readonly b: Builder,
    private readonly constant: Constants,
  ) {}

  c(x: number): Value {
    return this.constant(x, f64);
  }
  ci(x: number | bigint): Value {
    return this.constant(typeof x === 'bigint' ? x : BigInt(x), i64);
  }
  private op(name: string, args: Value[], t: Type = f64, attrs: Record<string, string> = {}): Value {
    return this.b.value(name, args, t, attrs);
  }
  add(a: Value, b: Value): Value {
    return this.op('arith.addf', [a, b]);
  }
  sub(a: Value, b: Value): Value {
    return this.op('arith.subf', [a, b]);
  }
  mul(a: Value, b: Value): Value {
    return this.op('arith.mulf', [a, b]);
  }
  div(a: Value, b: Value): Value {
    return this.op('arith.divf', [a, b]);
  }
  fma(a: Value, b: Value, c: Value): Value {
    return this.op('math.fma', [a, b, c]);
  }
  neg(a: Value): Value {
    return this.op('arith.negf', [a]);
  }
  abs(a: Value): Value {
    return this.op('math.absf', [a]);
  }
  floor(a: Value): Value {
    return this.op('math.floor', [a]);
  }
  cmp(pred: string, a: Value, b: Value): Value {
    return this.op('arith.cmpf', [a, b], i1, { predicate: pred });
  }
  select(c: Value, a: Value, b: Value): Value {
    return this.op('arith.select', [c, a, b], a.type);
  }
  toInt(a: Value): Value {
    return this.op('arith.fptosi', [a], i64);
  }
  toFloat(a: Value): Value {
    return this.op('arith.sitofp', [a]);
  }
  and(a: Value, b: Value): Value {
    return this.op('arith.andi', [a, b], i1);
  }
  intEquals(a: Value, n: number): Value {
    return this.op('arith.cmpi', [a, this.ci(n)], i1, { predicate: 'eq' });
  }
  bits(a: Value): Value {
    return this.op('tt.bitcast', [a], i64);
  }
  fromBits(a: Value): Value {
    return this.op('tt.bitcast', [a], f64);
  }
  iop(name: string, a: Value, b: Value): Value {
    return this.op(`arith.${name}`, [a, b], i64);
  }
  /** sum of coeffs[i] * x^i, by Horner's rule with fma. */
  poly(x: Value, coeffs: readonly number[]): Value {
    let acc = this.c(coeffs[coeffs.length - 1]!);
    for (let i = coeffs.length - 2; i >= 0; i--) acc = this.fma(acc, x, this.c(coeffs[i]!));
    return acc;
  }
  /** 2^k for an integral f64 k in [-1022, 1023], built from its exponent bits. */
  pow2(k: Value): Value {
    return this.fromBits(this.iop('shli', this.iop('addi', this.toInt(k), this.ci(1023)), this.ci(52)));
  }
  /** x * 2^k for integral k in [-2044, 2046]: two factors, so that neither overflows on its own. */
  scale(x: Value, k: Value): Value {
    const k1 = this.floor(this.mul(k, this.c(0.5)));
    return this.mul(this.mul(x, this.pow2(k1)), this.pow2(this.sub(k, k1)));
  }
}

// e^r for |r| <= ln2/2: its Taylor series to r^13 (the rest is below 1e-17 relative).
const expCoeffs = Array.from({ length: 14 }, (_, i) => 1 / factorial(i));

function exp(m: F64, x: Value): Value {
  const k = m.floor(m.fma(x, m.c(LOG2E), m.c(0.5)));
  let r = m.fma(m.neg(k), m.c(LN2_HI), x);
  r = m.fma(m.neg(k), m.c(LN2_LO), r);
  const kc = m.select(m.cmp('ogt', k, m.c(1100)), m.c(1100), m.select(m.cmp('olt', k, m.c(-1100)), m.c(-1100), k));
  const y = m.scale(m.poly(r, expCoeffs), kc);
  return m.select(m.cmp('ogt', x, m.c(709.8)), m.c(Infinity), m.select(m.cmp('olt', x, m.c(-745.2)), m.c(0), y));
}

function exp2(m: F64, x: Value): Value {
  const k = m.floor(m.add(x, m.c(0.5)));
  const r = m.mul(m.sub(x, k), m.c(LN2));
  const kc = m.select(m.cmp('ogt', k, m.c(1100)), m.c(1100), m.select(m.cmp('olt', k, m.c(-1100)), m.c(-1100), k));
  const y = m.scale(m.poly(r, expCoeffs), kc);
  return m.select(m.cmp('ogt', x, m.c(1024)), m.c(Infinity), m.select(m.cmp('olt', x, m.c(-1075)), m.c(0), y));
}

// log(m) = 2 atanh(s), s = (m - 1) / (m + 1): 2 (s + s^3/3 + s^5/5 + ...), |s| <= 0.172 for m in [sqrt(1/2), sqrt(2)].
const atanhCoeffs = Array.from({ length: 12 }, (_, i) => 2 / (2 * i + 1));

/** The exponent e (as f64) and log(mantissa) of x, with x = mantissa * 2^e, mantissa in [sqrt(1/2), sqrt(2)). */
function logParts(m: F64, x: Value): { e: Value; logMantissa: Value } {
  // Subnormals: scale into the normal range first.
  const tiny = m.cmp('olt', x, m.c(2 ** -1022));
  const xs = m.select(tiny, m.mul(x, m.c(2 ** 54)), x);
  const bits = m.bits(xs);
  const biased = m.iop('andi', m.iop('shrsi', bits, m.ci(52)), m.ci(0x7ff));
  let e = m.sub(m.toFloat(biased), m.select(tiny, m.c(1023 + 54), m.c(1023)));
  let mant = m.fromBits(m.iop('ori', m.iop('andi', bits, m.ci(0x000fffffffffffffn)), m.ci(0x3ff0000000000000n)));
  const big = m.cmp('ogt', mant, m.c(Math.SQRT2));
  mant = m.select(big, m.mul(mant, m.c(0.5)), mant);
  e = m.select(big, m.add(e, m.c(1)), e);
  const s = m.div(m.sub(mant, m.c(1)), m.add(mant, m.c(1)));
  return { e, logMantissa: m.mul(s, m.poly(m.mul(s, s), atanhCoeffs)) };
}

/** log and log2 of x, with the special cases: negative gives NaN, 0 gives -inf, +inf and NaN themselves. */
function logarithm(m: F64, x: Value, base2: boolean): Value {
  const { e, logMantissa } = logParts(m, x);
  const y = base2 ? m.fma(logMantissa, m.c(LOG2E), e) : m.add(m.mul(e, m.c(LN2_HI)), m.fma(e, m.c(LN2_LO), logMantissa));
  const special = m.select(m.cmp('olt', x, m.c(0)), m.c(NaN), m.select(m.cmp('oeq', x, m.c(0)), m.c(-Infinity), x));
  const regular = m.cmp('ogt', x, m.c(0));
  const finite = m.cmp('olt', x, m.c(Infinity));
  return m.select(m.and(regular, finite), y, special);
}

/**
 * log(1 + x): the logarithm of u = 1 + x (rounded), plus the rounding's error relative to u, (1 + x - u) / u, which
 * Fast2Sum gives exactly; accurate for x near 0, where log(u) alone would lose the digits of x that u dropped.
 */
function log1p(m: F64, x: Value): Value {
  const u = m.add(x, m.c(1));
  const small = m.cmp('olt', m.abs(x), m.c(1));
  const err = m.select(small, m.sub(x, m.sub(u, m.c(1))), m.sub(m.c(1), m.sub(u, x)));
  const lu = logarithm(m, u, false);
  // u = 0 (x = -1), u < 0, infinite or NaN: the logarithm's special cases, with no correction.
  const regular = m.and(m.cmp('ogt', u, m.c(0)), m.cmp('olt', u, m.c(Infinity)));
  const y = m.select(regular, m.add(lu, m.div(err, u)), lu);
  // Below 2^-54, log1p(x) rounds to x itself (and keeps the sign of -0.0).
  return m.select(m.cmp('olt', m.abs(x), m.c(2 ** -54)), x, y);
}

// sin and cos Taylor series on [-pi/4, pi/4]: sin = r + r^3 (c0 + c1 z + ...), cos = 1 + z (d0 + d1 z + ...), z = r^2.
const sinCoeffs = Array.from({ length: 8 }, (_, i) => (i % 2 ? 1 : -1) / factorial(2 * i + 3));
const cosCoeffs = Array.from({ length: 9 }, (_, i) => (i % 2 ? 1 : -1) / factorial(2 * i + 2));

function sinCos(m: F64, x: Value, which: 'sin' | 'cos'): Value {
  const k = m.floor(m.fma(x, m.c(2 / Math.PI), m.c(0.5)));
  let r = m.fma(m.neg(k), m.c(PIO2_1), x);
  r = m.fma(m.neg(k), m.c(PIO2_2), r);
  r = m.fma(m.neg(k), m.c(PIO2_3), r);
  const z = m.mul(r, r);
  const s = m.fma(m.mul(z, r), m.poly(z, sinCoeffs), r);
  const c = m.fma(z, m.poly(z, cosCoeffs), m.c(1));
  // The quadrant: k mod 4 (k may be negative: two's complement & 3 is the mathematical modulus).
  const q = m.iop('andi', m.toInt(k), m.ci(3));
  const quadrant = (n: number): Value => m.intEquals(q, n);
  // sin(x) for quadrants 0..3 is s, c, -s, -c; cos(x) is c, -s, -c, s.
  const [q0, q1, q2, q3] = which === 'sin' ? [s, c, m.neg(s), m.neg(c)] : [c, m.neg(s), m.neg(c), s];
  return m.select(quadrant(0), q0, m.select(quadrant(1), q1, m.select(quadrant(2), q2, q3)));
}

// expm1(y) = y + y^2/2! + ... to y^19, for 0 <= y < 1.1.
const expm1Coeffs = Array.from({ length: 19 }, (_, i) => 1 / factorial(i + 1));

function tanh(m: F64, x: Value): Value {
  const ax = m.abs(x);
  // Small |x|: tanh = expm1(2|x|) / (expm1(2|x|) + 2), accurate relative to tiny results.
  const y = m.add(ax, ax);
  const em1 = m.mul(y, m.poly(y, expm1Coeffs));
  const small = m.div(em1, m.add(em1, m.c(2)));
  // Larger |x|: 1 - 2 / (e^(2|x|) + 1); past 22 it rounds to 1.
  const large = m.sub(m.c(1), m.div(m.c(2), m.add(exp(m, y), m.c(1))));
  const t = m.select(m.cmp('olt', ax, m.c(0.55)), small, m.select(m.cmp('ogt', ax, m.c(22)), m.c(1), large));
  const signed = m.select(m.cmp('olt', x, m.c(0)), m.neg(t), t);
  return m.select(m.cmp('uno', x, x), x, signed);
}

// erf(x) = 2/sqrt(pi) * x * sum (-1)^n x^(2n) / (n! (2n+1)): for |x| < 2, 40 terms reach double precision.
const erfCoeffs = Array.from({ length: 40 }, (_, n) => ((n % 2 ? -1 : 1) * 2) / SQRT_PI / (factorial(n) * (2 * n + 1)));
const ERFC_TERMS = 60;

function erf(m: F64, x: Value): Value {
  const ax = m.abs(x);
  const z = m.mul(ax, ax);
  const series = m.mul(ax, m.poly(z, erfCoeffs));
  // |x| >= 2: erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), evaluated from the tail.
  let t = ax;
  for (let n = ERFC_TERMS; n >= 1; n--) t = m.add(ax, m.div(m.c(n / 2), t));
  const erfc = m.div(exp(m, m.neg(z)), m.mul(t, m.c(SQRT_PI)));
  const tail = m.select(m.cmp('oge', ax, m.c(6)), m.c(1), m.sub(m.c(1), erfc));
  const e = m.select(m.cmp('olt', ax, m.c(2)), series, tail);
  const signed = m.select(m.cmp('olt', x, m.c(0)), m.neg(e), e);
  return m.select(m.cmp('uno', x, x), x, signed);
}

/** The ops this file expands, on f64. */
export const f64MathOps = new Set(['math.exp', 'math.exp2', 'math.log', 'math.log2', 'math.log1p', 'math.sin', 'math.cos', 'math.tanh', 'math.erf']);

/** Makes (or reuses) a constant of a type. */
export type Constants = (value: number | bigint, type: typeof f64 | typeof i64) => Value;

/** Emits the expansion of f64 `name`(x) at the builder's insertion point; returns its result. */
export function expandF64Math(b: Builder, constant: Constants, name: string, x: Value): Value {
  const m = new F64(b, constant);
  switch (name) {
    case 'math.exp':
      return exp(m, x);
    case 'math.exp2':
      return exp2(m, x);
    case 'math.log':
      return logarithm(m, x, false);
    case 'math.log2':
      return logarithm(m, x, true);
    case 'math.log1p':
      return log1p(m, x);
    case 'math.sin':
      return sinCos(m, x, 'sin');
    case 'math.cos':
      return sinCos(m, x, 'cos');
    case 'math.tanh':
      return tanh(m, x);
    case 'math.erf':
      return erf(m, x);
  }
  throw new Error(`no f64 expansion of ${name}`);
}
