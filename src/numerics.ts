// Number formats shared by every layer: 16-bit floats as bits, rounding to a type's precision,
// integer wrap-around. All float conversions round to nearest, ties to even, straight from the double
// (never through f32 first, which could round twice).

const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = littleEndian ? 1 : 0;

/** An IEEE-style binary format with `exponentBits` and `mantissaBits` (explicit bits, without the hidden one). */
interface BinaryFormat {
  readonly exponentBits: number;
  readonly mantissaBits: number;
}

const F16: BinaryFormat = { exponentBits: 5, mantissaBits: 10 };
const BF16: BinaryFormat = { exponentBits: 8, mantissaBits: 7 };

function encode(x: number, f: BinaryFormat): number {
  const { exponentBits: eb, mantissaBits: mb } = f;
  scratch[0] = x;
  const hi = scratchWords[HI]!;
  const sign = hi >>> 31 ? 1 << (eb + mb) : 0;
  const expMax = (1 << eb) - 1;
  if (Number.isNaN(x)) return sign | (expMax << mb) | (1 << (mb - 1));
  const a = Math.abs(x);
  if (a === Infinity) return sign | (expMax << mb);
  if (a === 0) return sign;
  const bias = (1 << (eb - 1)) - 1;
  const e = ((hi >>> 20) & 0x7ff) - 1023; // exponent of a (f64 subnormals are far below every target format)
  const quantum = e < 1 - bias ? 1 - bias - mb : e - mb;
  const scaled = a * 2 ** -quantum; // exact: scaling by a power of two
  let m = Math.round(scaled);
  if (m - scaled === 0.5 && m % 2 === 1) m -= 1; // ties to even (Math.round breaks ties upward)
  if (e < 1 - bias) return sign | m; // subnormal; m == 2^mb lands exactly on the smallest normal
  const bits = ((e + bias) << mb) + (m - (1 << mb)); // a carry out of the mantissa bumps the exponent
  return bits >= expMax << mb ? sign | (expMax << mb) : sign | bits;
}

function decode(bits: number, f: BinaryFormat): number {
  const { exponentBits: eb, mantissaBits: mb } = f;
  const sign = (bits >>> (eb + mb)) & 1 ? -1 : 1;
  const exp = (bits >>> mb) & ((1 << eb) - 1);
  const man = bits & ((1 << mb) - 1);
  const bias = (1 << (eb - 1)) - 1;
  if (exp === (1 << eb) - 1) return man ? NaN : sign * Infinity;
  if (exp === 0) return sign * man * 2 ** (1 - bias - mb);
  return sign * ((1 << mb) + man) * 2 ** (exp - bias - mb);
}

let f16Table: Float32Array | undefined;
let bf16Table: Float32Array | undefined;

/** Decoding tables, built on first use (256 KiB each). */
export function f16DecodeTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) f16Table[b] = decode(b, F16);
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
export const f16ToBits = (x: number): number => encode(x, F16);
export const bf16ToBits = (x: number): number => encode(x, BF16);

/** The f16 value nearest to x (as a double). */
export const roundF16 = (x: number): number => f16DecodeTable()[encode(x, F16)]!;
/** The bf16 value nearest to x (as a double). */
export const roundBF16 = (x: number): number => bf16DecodeTable()[encode(x, BF16)]!;

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
