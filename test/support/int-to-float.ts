// Integers that a conversion to float can round wrongly by rounding twice, and the exact reference: each value
// rounded once, to nearest even, to p significant bits (f32: 24, bf16: 8), computed on bigints.
import { Random, kernel, tl, type DType, type Ptr, type constexpr } from 'kt';

/** y = x converted to TO, one block of BLOCK elements per program. */
export const convert = kernel(function convert(x: Ptr, y: Ptr, TO: constexpr<DType>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(y + offs, tl.load(x + offs).to(TO));
});

/** The integer rounded to nearest (ties to even) at `bits` significant bits, exactly. */
export function roundIntToBits(v: bigint, bits: number): bigint {
  const magnitude = v < 0n ? -v : v;
  const extra = BigInt(Math.max(0, magnitude.toString(2).length - bits));
  if (extra === 0n) return v;
  const unit = 1n << extra;
  let kept = magnitude >> extra;
  const rest = magnitude - (kept << extra);
  if (rest * 2n > unit || (rest * 2n === unit && (kept & 1n) === 1n)) kept += 1n;
  const rounded = kept << extra;
  return v < 0n ? -rounded : rounded;
}

/**
 * Values at and around the ties of a p-bit float (p = 24 and p = 8) at magnitudes from 2^24 to 2^63 (one above a
 * tie is what rounding through a wider float gets wrong), with their negations for signed types, and random ones,
 * all within the integer type of `width` bits.
 */
export function nearTieIntegers(width: 32 | 64, signed: boolean): bigint[] {
  const top = width === 64 ? (signed ? 62 : 63) : signed ? 30 : 31;
  const values: bigint[] = [0n, 1n, (1n << 24n) + 1n];
  for (let e = 24; e <= top; e++) {
    for (const p of [8, 24]) {
      if (e - p < 1) continue;
      const tie = (1n << BigInt(e)) + (1n << BigInt(e - p));
      for (const d of [-1n, 0n, 1n]) values.push(tie + d, tie + (1n << BigInt(e - p + 1)) + d);
    }
  }
  const rs = new Random(11);
  for (let i = 0; i < 64; i++) values.push(BigInt(Math.floor(rs.next() * 2 ** 30)) << BigInt(Math.floor(rs.next() * (top - 29))));
  const all = signed ? [...values, ...values.map((v) => -v)] : values;
  // The extremes: the type's largest and (signed) smallest values.
  const extremes = signed ? [(1n << BigInt(width - 1)) - 1n, -(1n << BigInt(width - 1))] : [(1n << BigInt(width)) - 1n];
  return [...all, ...extremes].map((v) => (signed ? BigInt.asIntN(width, v) : BigInt.asUintN(width, v)));
}

/** nearTieIntegers padded with zeros to a power of two (one block of `convert`). */
export function nearTieBlock(width: 32 | 64, signed: boolean): bigint[] {
  const some = nearTieIntegers(width, signed);
  return [...some, ...Array<bigint>(2 ** Math.ceil(Math.log2(some.length)) - some.length).fill(0n)];
}
