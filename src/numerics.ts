// Number formats shared by every layer: 16-bit floats as bits, rounding to a type's precision,
// integer wrap-around. All float conversions round to nearest, ties to even, straight from the double
// (never through f32 first, which could round twice).

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;

/** 2^k for k in [-1100, 1100], by table: faster than Math.pow in the rounding hot path. */
const POW2 = new Float64Array(2201).map((_, i) => 2 ** (i - 1100));

/** Round to nearest integer, ties to even (Math.round breaks ties upward); s >= 0. */
function roundHalfEven(s: number): number {
  const m = Math.round(s);
  return m - s === 0.5 && m % 2 === 1 ? m - 1 : m;
}

/**
 * The encoder of an IEEE-style binary format with `exponentBits` and `mantissaBits` (explicit bits):
 * x (a double) to the bit pattern of the nearest value, ties to even, overflowing to infinity.
 */
function makeEncoder(exponentBits: number, mantissaBits: number): (x: number) => number {
  const bias = (1 << (exponentBits - 1)) - 1;
  const expMax = (1 << exponentBits) - 1;
  const signBit = 1 << (exponentBits + mantissaBits);
  const infBits = expMax << mantissaBits;
  const nanBits = infBits | (1 << (mantissaBits - 1));
  const minNormal = 2 ** (1 - bias);
  const subnormalQuantum = 1 - bias - mantissaBits;
  // Halfway between the largest finite value and the next power of two: from here on, round to infinity.
  const overflow = (2 - 2 ** -(mantissaBits + 1)) * 2 ** bias;
  return (x: number): number => {
    scratch[0] = x;
    const hi = scratchWords[HI]!;
    const sign = hi >>> 31 ? signBit : 0;
    const a = x < 0 ? -x : x;
    if (!(a < overflow)) return a !== a ? sign | nanBits : sign | infBits;
    if (a < minNormal) return sign | roundHalfEven(a * POW2[1100 - subnormalQuantum]!); // may round up to the smallest normal
    const e = ((hi >>> 20) & 0x7ff) - 1023;
    const m = roundHalfEven(a * POW2[1100 - e + mantissaBits]!); // in [2^mb, 2^(mb+1)]
    return sign | (((e + bias) << mantissaBits) + m - (1 << mantissaBits)); // a carry out of m bumps the exponent
  };
}

const encodeF16 = makeEncoder(5, 10);
const encodeBF16 = makeEncoder(8, 7);

let f16Table: Float32Array | undefined;
let bf16Table: Float32Array | undefined;

/** Decoding tables, built on first use (256 KiB each). */
export function f16DecodeTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) {
      const e = (b >>> 10) & 31;
      const m = b & 1023;
      const v = e === 31 ? (m ? NaN : Infinity) : e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25);
      f16Table[b] = b & 0x8000 ? -v : v;
    }
  }
  return f16Table;
}

export function bf16DecodeTable(): Float32Array {
  if (!bf16Table) {
    // bf16 is the top half of an f32: widening is a shift.
    bf16Table = new Float32Array(new Uint32Array(65536).map((_, b) => b << 16).buffer);
  }
  return bf16Table;
}

export const f16FromBits = (bits: number): number => f16DecodeTable()[bits & 0xffff]!;
export const bf16FromBits = (bits: number): number => bf16DecodeTable()[bits & 0xffff]!;
export const f16ToBits = encodeF16;
export const bf16ToBits = encodeBF16;

/** The f16 value nearest to x (as a double). */
export const roundF16 = (x: number): number => f16DecodeTable()[encodeF16(x)]!;
/** The bf16 value nearest to x (as a double). */
export const roundBF16 = (x: number): number => bf16DecodeTable()[encodeBF16(x)]!;

export type FloatFormatName = 'f16' | 'bf16' | 'f32' | 'f64';

/** Rounds x to the precision and range of a float format. */
export function roundToFloat(x: number, format: FloatFormatName): number {
  switch (format) {
    case 'f16':
      return roundF16(x);
    case 'bf16':
      return roundBF16(x);
    case 'f32':
      return Math.fround(x);
    case 'f64':
      return x;
  }
}

/** Wraps an integer to `width` bits, read back signed or unsigned; i64 values are bigints. */
export function wrapInt(v: number | bigint, width: number, signed: boolean): number | bigint {
  if (width === 64) {
    const b = typeof v === 'bigint' ? v : BigInt(v);
    return signed ? BigInt.asIntN(64, b) : BigInt.asUintN(64, b);
  }
  const n = typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : v;
  if (width === 32) return signed ? n | 0 : n >>> 0;
  if (width === 1) return n & 1;
  const shift = 32 - width;
  return signed ? (n << shift) >> shift : (n << shift) >>> shift;
}

const tf32Scratch = new Float32Array(1);
const tf32Bits = new Uint32Array(tf32Scratch.buffer);

/** Rounds an f32 to tf32 (10 mantissa bits, ties away from zero), as PTX's cvt.rna.tf32.f32 does. */
export function roundTf32(x: number): number {
  if (!Number.isFinite(x)) return x;
  tf32Scratch[0] = x;
  tf32Bits[0] = ((tf32Bits[0]! + 0x1000) & ~0x1fff) >>> 0;
  return tf32Scratch[0]!;
}

/**
 * The standard normal quantile: x with P(Z <= x) = p, for 0 < p < 1 (Acklam's rational approximation, relative
 * error about 1e-9).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const tail = (q: number): number =>
    (((((-7.784894002430293e-3 * q - 3.223964580411365e-1) * q - 2.400758277161838) * q - 2.549732539343734) * q + 4.374664141464968) * q + 2.938163982698783) /
    ((((7.784695709041462e-3 * q + 3.224671290700398e-1) * q + 2.445134137142996) * q + 3.754408661907416) * q + 1);
  const low = 0.02425;
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((-3.969683028665376e1 * r + 2.209460984245205e2) * r - 2.759285104469687e2) * r + 1.38357751867269e2) * r - 3.066479806614716e1) * r + 2.506628277459239) * q) /
    (((((-5.447609879822406e1 * r + 1.615858368580409e2) * r - 1.556989798598866e2) * r + 6.680131188771972e1) * r - 1.328068155288572e1) * r + 1)
  );
}
