// Shared by test/interp/cast-rounding.test.ts and test/gpu/cast-rounding.test.ts: the float narrowings that take
// fpDowncastRounding 'rtz', inputs at the edges of rounding toward zero, and a reference written independently of
// src/numerics.ts (scaling by the unit in the last place and flooring, instead of rounding to nearest and stepping).
import { Random } from 'kt';
import type { DTypeName } from '../../src/compiler/semantic/dtype.ts';

interface Format {
  /** Explicit mantissa bits. */
  readonly mantissaBits: number;
  /** The exponent of the smallest normal number. */
  readonly minExponent: number;
  readonly max: number;
  /** Whether an infinite input stays infinite (IEEE formats) or becomes the largest finite value (fp8 in kt). */
  readonly keepsInfinity: boolean;
}

export const formats: Partial<Record<DTypeName, Format>> = {
  f32: { mantissaBits: 23, minExponent: -126, max: (2 - 2 ** -23) * 2 ** 127, keepsInfinity: true },
  f16: { mantissaBits: 10, minExponent: -14, max: 65504, keepsInfinity: true },
  bf16: { mantissaBits: 7, minExponent: -126, max: (2 - 2 ** -7) * 2 ** 127, keepsInfinity: true },
  f8e4m3: { mantissaBits: 3, minExponent: -6, max: 448, keepsInfinity: false },
  f8e5m2: { mantissaBits: 2, minExponent: -14, max: 57344, keepsInfinity: false },
};

/** x rounded toward zero to `to`: the largest multiple of the unit in the last place not above |x|, with x's sign. */
export function towardZeroReference(x: number, to: DTypeName): number {
  const f = formats[to]!;
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  let v: number;
  if (a === Infinity) v = f.keepsInfinity ? Infinity : f.max;
  else if (a === 0) v = 0;
  else {
    let e = Math.floor(Math.log2(a));
    if (2 ** e > a) e--;
    if (2 ** (e + 1) <= a) e++;
    const ulp = 2 ** (Math.max(e, f.minExponent) - f.mantissaBits);
    v = Math.min(Math.floor(a / ulp) * ulp, f.max);
  }
  return x < 0 || Object.is(x, -0) ? -v : v;
}

/** The narrowings rtz applies to: from a float to a narrower float. */
export const rtzPairs: [DTypeName, DTypeName][] = [
  ['f64', 'f32'],
  ['f64', 'f16'],
  ['f64', 'bf16'],
  ['f64', 'f8e4m3'],
  ['f64', 'f8e5m2'],
  ['f32', 'f16'],
  ['f32', 'bf16'],
  ['f32', 'f8e4m3'],
  ['f32', 'f8e5m2'],
  ['f16', 'f8e4m3'],
  ['f16', 'f8e5m2'],
  ['bf16', 'f8e4m3'],
  ['bf16', 'f8e5m2'],
];

/** Finite non-negative values of a format, ascending: all of fp8, and for wider formats a few mantissas of every binade. */
function valuesOf(to: DTypeName): number[] {
  const f = formats[to]!;
  const count = 2 ** f.mantissaBits;
  const mantissas = count <= 128 ? Array.from({ length: count }, (_, m) => m) : [0, 1, 2, 3, count / 2 - 1, count / 2, count / 2 + 1, count - 2, count - 1];
  const out = new Set<number>([0]);
  const maxExponent = Math.floor(Math.log2(f.max));
  for (let e = f.minExponent; e <= maxExponent; e++) {
    const ulp = 2 ** (e - f.mantissaBits);
    for (const m of mantissas) {
      if (e === f.minExponent && m > 0) out.add(m * ulp); // the subnormals, below 2^minExponent
      const v = (count + m) * ulp;
      if (v <= f.max) out.add(v);
    }
  }
  return [...out].sort((p, q) => p - q);
}

/**
 * Inputs for narrowing `from` to `to` toward zero: values of `to` and numbers just above, just below and halfway
 * between them (by 2^-30 relative, which only f64 holds, and 2^-12, which f32 holds), the top of the range and past
 * it, infinities, NaN, zeros, subnormals of both formats, and random bit patterns of the source; both signs. Every
 * 16-bit pattern for f16 and bf16 sources. The tensor of `from` holds them rounded to nearest.
 */
export function rtzInputs(from: DTypeName, to: DTypeName, seed = 1): number[] {
  if (from === 'f16' || from === 'bf16') {
    const decode = from === 'f16' ? f16Value : (b: number) => new Float32Array(new Uint32Array([b << 16]).buffer)[0]!;
    return Array.from({ length: 65536 }, (_, b) => decode(b));
  }
  const vals = new Set<number>();
  const f = formats[to]!;
  const targets = valuesOf(to);
  const step = Math.max(1, Math.floor(targets.length / 1500));
  for (let i = 0; i < targets.length; i += step) {
    const v = targets[i]!;
    const next = targets[i + 1] ?? v * 2;
    for (const x of [v, v * (1 + 2 ** -30), v * (1 - 2 ** -30), v * (1 + 2 ** -12), v * (1 - 2 ** -12), (v + next) / 2, next * (1 - 2 ** -30)]) vals.add(x);
  }
  for (const x of [f.max, f.max * (1 + 2 ** -30), f.max * (1 + 2 ** -9), f.max * 1.25, f.max * 2, 65504, 65519, 65520, 1e10, 3.4e38, 3.5e38, 1e300, Infinity, NaN, 0, 2 ** -149, 2 ** -126, 2 ** -24, 2 ** -25, 2 ** -17, 2 ** -16, 2 ** -10, 2 ** -9, 1e-300, 5e-324]) vals.add(x);
  const rng = new Random(seed);
  const bits = new Uint32Array(1);
  const asF32 = new Float32Array(bits.buffer);
  for (let i = 0; i < 6000; i++) {
    bits[0] = rng.nextUint32();
    vals.add(asF32[0]!);
    // For f64 sources, values of the target's range with random bits far below f32's precision too.
    const near = targets[rng.nextUint32() % targets.length]! || 2 ** f.minExponent;
    if (from === 'f64') vals.add(near * (1 + (rng.nextUint32() / 2 ** 32) * 2 ** -((rng.nextUint32() % 40) + 1)));
  }
  return [...vals].flatMap((v) => [v, -v]);
}

function f16Value(b: number): number {
  const e = (b >>> 10) & 31;
  const m = b & 1023;
  const v = e === 31 ? (m ? NaN : Infinity) : e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
  return b & 0x8000 ? -v : v;
}

/** Whether two results agree: equal values, the same sign of zero, or both NaN. */
export const sameResult = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
