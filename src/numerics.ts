// Number formats shared by every layer: 16- and 8-bit floats as bits, rounding to a type's precision,
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

// ---- 8-bit floats ----------------------------------------------------------------------------------------------
//
// The two OCP 8-bit formats (OCP "8-bit Floating Point Specification (OFP8)", rev. 1.0), as NVIDIA's PTX
// (.e4m3, .e5m2; sm_89+), Triton (tl.float8e4nv, tl.float8e5) and MLIR (f8E4M3FN, f8E5M2) have them:
//  - e4m3 (E4M3FN: "finite, NaN"): bias 7, no infinities; S.1111.111 is the only NaN, so exponent field 15 holds
//    normal numbers and the largest finite value is S.1111.110 = 1.75 * 2^8 = 448; smallest subnormal 2^-9.
//  - e5m2: IEEE-like, bias 15; S.11111.00 is infinity, S.11111.{01,10,11} NaN; largest finite
//    S.11110.11 = 1.75 * 2^15 = 57344; smallest subnormal 2^-16.
// Conversions to them round to nearest, ties to even, straight from the double. kt converts as PTX's
// cvt.rn.satfinite.{e4m3x2,e5m2x2} does (PTX ISA, cvt: ".satfinite: ... if the input value is NaN, then the result
// is NaN in the specified destination format. If the absolute value of input (ignoring sign) is greater than
// MAX_NORM of the specified destination format, then the result is sign-preserved MAX_NORM"): anything past the
// largest finite value, infinities included, becomes that value with its sign, and NaN becomes the NaN 0x7f. Without
// .satfinite (for test/support/tensor-core-model.ts), overflow gives infinity (e5m2) or NaN (e4m3), as the OCP
// specification's non-saturating mode does. Every fp8 value is exact in f16, bf16, f32 and f64, so conversions from
// fp8 are exact.

/** The IR float kinds of the 8-bit formats (MLIR's spellings). */
export type Fp8Kind = 'f8E4M3FN' | 'f8E5M2';

interface Fp8Format {
  readonly mantissaBits: number;
  readonly bias: number;
  /** The bits of the largest finite magnitude. */
  readonly maxBits: number;
  /** The bits of infinity, for formats that have one. */
  readonly infBits: number | undefined;
  /** The NaN that conversions produce (positive, all mantissa bits set). */
  readonly nanBits: number;
}

const E4M3: Fp8Format = { mantissaBits: 3, bias: 7, maxBits: 0x7e, infBits: undefined, nanBits: 0x7f };
const E5M2: Fp8Format = { mantissaBits: 2, bias: 15, maxBits: 0x7b, infBits: 0x7c, nanBits: 0x7f };

/** The largest finite e4m3 value. */
export const E4M3_MAX = 448;
/** The largest finite e5m2 value. */
export const E5M2_MAX = 57344;

/** The bits of one fp8 value nearest to x, ties to even; past the largest finite value as described above. */
function makeFp8Encoder(f: Fp8Format): (x: number, satfinite: boolean) => number {
  const mb = f.mantissaBits;
  const minNormal = 2 ** (1 - f.bias);
  // x / 2^(1 - bias - mb): the count of smallest subnormals in x.
  const subnormalScale = POW2[1100 + f.bias - 1 + mb]!;
  return (x: number, satfinite: boolean): number => {
    if (x !== x) return f.nanBits;
    scratch[0] = x;
    const hi = scratchWords[HI]!;
    const sign = hi >>> 31 ? 0x80 : 0;
    const a = x < 0 ? -x : x;
    let bits: number;
    if (a < minNormal) {
      bits = roundHalfEven(a * subnormalScale); // may round up to the smallest normal, whose bits follow on
    } else if (a === Infinity) {
      bits = Infinity;
    } else {
      // Rounded with the exponent unbounded above, so that overflow is decided on the rounded value.
      const e = ((hi >>> 20) & 0x7ff) - 1023;
      const m = roundHalfEven(a * POW2[1100 - e + mb]!); // in [2^mb, 2^(mb+1)]
      bits = ((e + f.bias) << mb) + m - (1 << mb); // a carry out of m bumps the exponent
    }
    if (bits > f.maxBits) return sign | (satfinite ? f.maxBits : (f.infBits ?? f.nanBits));
    return sign | bits;
  };
}

function fp8Table(f: Fp8Format): Float32Array {
  const t = new Float32Array(256);
  const expMax = 0x7f >>> f.mantissaBits;
  const manMask = (1 << f.mantissaBits) - 1;
  for (let b = 0; b < 256; b++) {
    const e = (b & 0x7f) >>> f.mantissaBits;
    const m = b & manMask;
    let v: number;
    if (e === expMax && (f.infBits === undefined ? m === manMask : true)) v = f.infBits !== undefined && m === 0 ? Infinity : NaN;
    else if (e === 0) v = m * 2 ** (1 - f.bias - f.mantissaBits);
    else v = ((1 << f.mantissaBits) + m) * 2 ** (e - f.bias - f.mantissaBits);
    t[b] = b & 0x80 ? -v : v;
  }
  return t;
}

const encodeE4M3 = makeFp8Encoder(E4M3);
const encodeE5M2 = makeFp8Encoder(E5M2);
const e4m3Table = fp8Table(E4M3);
const e5m2Table = fp8Table(E5M2);

/** The 256 e4m3 values by bit pattern (for the interpreter's loads). */
export const e4m3DecodeTable = (): Float32Array => e4m3Table;
/** The 256 e5m2 values by bit pattern. */
export const e5m2DecodeTable = (): Float32Array => e5m2Table;

/** The value of an e4m3 bit pattern (the low 8 bits of `bits`). */
export const e4m3FromBits = (bits: number): number => e4m3Table[bits & 0xff]!;
/** The value of an e5m2 bit pattern (the low 8 bits of `bits`). */
export const e5m2FromBits = (bits: number): number => e5m2Table[bits & 0xff]!;
/** x to e4m3 bits, rounding to nearest even, saturating as cvt.rn.satfinite does (or, without it, to NaN). */
export const e4m3ToBits = (x: number, satfinite = true): number => encodeE4M3(x, satfinite);
/** x to e5m2 bits, rounding to nearest even, saturating as cvt.rn.satfinite does (or, without it, to infinity). */
export const e5m2ToBits = (x: number, satfinite = true): number => encodeE5M2(x, satfinite);

/** The e4m3 value kt converts x to (nearest even, saturating). */
export const roundE4M3 = (x: number): number => e4m3Table[encodeE4M3(x, true)]!;
/** The e5m2 value kt converts x to (nearest even, saturating). */
export const roundE5M2 = (x: number): number => e5m2Table[encodeE5M2(x, true)]!;

export type FloatFormatName = 'f16' | 'bf16' | 'f32' | 'f64' | Fp8Kind;

/** Rounds x to the precision and range of a float format (IR float kinds; fp8 saturating, as conversions do). */
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
    case 'f8E4M3FN':
      return roundE4M3(x);
    case 'f8E5M2':
      return roundE5M2(x);
  }
}

/**
 * A 64-bit integer as a double rounded to odd: truncated toward zero to 53 significant bits, with the last bit set
 * where that dropped anything. Rounding that once more to a narrower float (f32, f16, bf16, fp8: at most 24 bits)
 * gives what rounding the integer directly would (Boldo and Melquiond, "When double rounding is odd"), which
 * Number() then Math.fround does not: 2^60 + 2^36 + 1 is 2^60 + 2^36 as a double, a tie of f32 values that then
 * rounds to even, down to 2^60, where the integer itself rounds up to 2^60 + 2^37 (as the GPU's cvt.rn.f32.s64).
 */
export function bigIntToDoubleOdd(v: bigint): number {
  if (v >= -(2n ** 53n) && v <= 2n ** 53n) return Number(v); // exact
  const magnitude = v < 0n ? -v : v;
  const extra = magnitude.toString(2).length - 53;
  if (extra <= 0) return Number(v);
  let kept = magnitude >> BigInt(extra);
  if (kept << BigInt(extra) !== magnitude) kept |= 1n;
  const odd = Number(kept) * 2 ** extra;
  return v < 0n ? -odd : odd;
}

/**
 * The k extent of one tensor-core instruction on f16 operands (mma.sync m16n8k16, wgmma k16): a dot with an f16
 * accumulator adds the products of each such step along k to the accumulator and rounds once to f16 per step. Every
 * tier computes f16-accumulated dots so: the step's sum in f32 (exact products, added in k order), then the rounding
 * to f16 (the interpreter's tt.dot, the GPU's FMA dot).
 */
export const F16_DOT_K_STEP = 16;

const rzScratch = new Float32Array(1);
const rzBits = new Uint32Array(rzScratch.buffer);

/**
 * Rounds x toward zero to a float format (fpDowncastRounding 'rtz', PTX's cvt.rz): the value of the format nearest
 * to x that is not larger in magnitude. Round-to-nearest gives either that value or its neighbour away from zero,
 * so it is rounded to nearest first and stepped one unit toward zero (its magnitude's bits minus one) where it came
 * out larger than x. So finite values past the largest finite one give that value with their sign, as IEEE 754's
 * roundTowardZero does; infinities stay infinite in f16, bf16 and f32, and become the largest finite value in fp8,
 * as every conversion to fp8 in kt does (see above); NaN stays NaN; -0 and negatives that truncate to zero give -0.
 */
export function roundTowardZero(x: number, format: FloatFormatName): number {
  if (x !== x || format === 'f64') return x;
  const a = Math.abs(x);
  switch (format) {
    case 'f32': {
      rzScratch[0] = x;
      if (Math.abs(rzScratch[0]!) > a) rzBits[0] = rzBits[0]! - 1; // never 0: a larger magnitude is not zero
      return rzScratch[0]!;
    }
    case 'f16':
    case 'bf16': {
      const [encode, table] = format === 'f16' ? [encodeF16, f16DecodeTable()] : [encodeBF16, bf16DecodeTable()];
      const b = encode(x);
      return Math.abs(table[b]!) > a ? table[b - 1]! : table[b]!;
    }
    case 'f8E4M3FN':
    case 'f8E5M2': {
      const [encode, table] = format === 'f8E4M3FN' ? [encodeE4M3, e4m3Table] : [encodeE5M2, e5m2Table];
      const b = encode(x, true);
      return Math.abs(table[b]!) > a ? table[b - 1]! : table[b]!;
    }
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

/**
 * An f32 as the tensor cores read it in a tf32 dot: its low 13 mantissa bits dropped (truncation toward zero;
 * PTX ISA on wgmma and mma .tf32 operands, and seen on an H200 by bench/tc-probe). kt's tf32 dots do this on
 * every tier, the FMA path included, so that the tiers agree.
 */
export function truncateTf32(x: number): number {
  if (!Number.isFinite(x)) return x;
  tf32Scratch[0] = x;
  tf32Bits[0] = (tf32Bits[0]! & ~0x1fff) >>> 0;
  return tf32Scratch[0]!;
}

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
