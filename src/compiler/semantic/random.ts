// Philox 4x32-10 (4x64-10 for 64-bit offsets) counter-based random numbers, bit-compatible with Triton's
// tl.rand/randint/randn: the same seed and offsets give the same numbers on every backend.
import { SemanticError } from './errors.ts';
import { dtypes } from './dtype.ts';
import type { Semantic } from './semantic.ts';
import { Constexpr, TValue, type Operand } from './values.ts';

/** Philox's multipliers (ROUND_A, ROUND_B) and key increments (KEY_A, KEY_B) for 32- and 64-bit words (Random123's). */
const PHILOX = {
  32: { roundA: 0xd2511f53n, roundB: 0xcd9e8d57n, keyA: 0x9e3779b9n, keyB: 0xbb67ae85n },
  64: { roundA: 0xd2e7470ee14c6c93n, roundB: 0xca5a826395121157n, keyA: 0x9e3779b97f4a7c15n, keyB: 0xbb67ae8584caa73bn },
} as const;
export const DEFAULT_ROUNDS = 10;

/**
 * Four blocks of random integers for (seed, offsets): Philox 4x32 for 32-bit offsets, 4x64 for 64-bit ones (as
 * Triton, whose 64-bit key is the seed and 0), with the offsets' dtype.
 */
export function randint4x(s: Semantic, seed: Operand, offsets: Operand, rounds = DEFAULT_ROUNDS): TValue[] {
  const offs = s.toValue(offsets);
  const bits = offs.type.isPointer || !offs.type.dtype.isInt ? 0 : offs.type.dtype.bits;
  if (bits !== 32 && bits !== 64) throw new SemanticError(`random offsets must be 32- or 64-bit integers, got ${offs.type}`);
  if (!Number.isInteger(rounds) || rounds <= 0) throw new SemanticError(`rounds must be a positive integer, got ${rounds}`);
  const given = s.toValue(seed);
  // As Triton: the seed is an integer. A float or a pointer would be turned into some integer without a word.
  if (given.type.isPointer || !given.type.dtype.isInt) throw new SemanticError(`the seed must be an integer, got ${given.type}`, 'pass an integer seed (a float is not rounded for you, a tensor is not read)');
  if (given.type.isBlock) throw new SemanticError(`the seed must be a scalar integer, got ${given.type}`);
  const word = bits === 64 ? dtypes.u64 : dtypes.u32;
  const k = PHILOX[bits];
  const seed64 = s.cast(given, dtypes.u64);
  let k0 = bits === 64 ? seed64 : s.cast(s.and(seed64, new Constexpr(0xffffffff)), dtypes.u32);
  let k1 = bits === 64 ? s.constant(0, word) : s.cast(s.and(s.shr(seed64, new Constexpr(32)), new Constexpr(0xffffffff)), dtypes.u32);
  let c0 = s.cast(offs, word, true);
  const zero = s.constant(0, word, offs.type.shape);
  let [c1, c2, c3] = [zero, zero, zero];
  const [A, B, keyA, keyB] = [k.roundA, k.roundB, k.keyA, k.keyB].map((v) => s.constant(v, word));
  for (let r = 0; r < rounds; r++) {
    const [p0, p2] = [c0, c2];
    c0 = s.xor(s.xor(s.umulhi(B!, p2), c1), k0);
    c2 = s.xor(s.xor(s.umulhi(A!, p0), c3), k1);
    c1 = s.mul(B!, p2);
    c3 = s.mul(A!, p0);
    k0 = s.add(k0, keyA!);
    k1 = s.add(k1, keyB!);
  }
  // Keep the offsets' signedness, as Triton does for randint.
  return [c0, c1, c2, c3].map((c) => s.cast(c, offs.type.dtype, true));
}

/**
 * Maps random 32- or 64-bit integers to floats uniform in [0, 1) (f32), as Triton's uint_to_uniform_float: read
 * as signed, folded onto the non-negatives, scaled so that the largest stays below 1.
 */
export function uniformFromBits(s: Semantic, x: TValue): TValue {
  const bits = x.type.isPointer || !x.type.dtype.isInt ? 0 : x.type.dtype.bits;
  if (bits !== 32 && bits !== 64) throw new SemanticError(`random bits must be 32- or 64-bit integers, got ${x.type}`, 'tl.randint and tl.randint4x make them');
  const i = s.cast(x, bits === 64 ? dtypes.i64 : dtypes.i32, true);
  const folded = s.where(s.compare('<', i, new Constexpr(0)), s.sub(s.minus(i), new Constexpr(1)), i);
  return s.mul(folded, new Constexpr(bits === 64 ? 1.0842020432385337e-19 : 4.656613e-10, true));
}

/** Box-Muller: two uniform blocks to two standard normal blocks. */
export function normalPair(s: Semantic, u1: TValue, u2: TValue): [TValue, TValue] {
  const u = s.maximum(new Constexpr(1.0e-7, true), u1);
  const th = s.mul(new Constexpr(6.283185307179586, true), u2);
  const r = s.math('sqrt', s.mul(new Constexpr(-2.0, true), s.math('log', u)));
  return [s.mul(r, s.math('cos', th)), s.mul(r, s.math('sin', th))];
}
