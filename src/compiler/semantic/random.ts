// Philox 4x32-10 counter-based random numbers, bit-compatible with Triton's tl.rand/randint/randn:
// the same seed and offsets give the same numbers on every backend.
import { SemanticError } from './errors.ts';
import { dtypes } from './dtype.ts';
import type { Semantic } from './semantic.ts';
import { Constexpr, TValue, type Operand } from './values.ts';

const ROUND_A = 0xd2511f53;
const ROUND_B = 0xcd9e8d57;
const KEY_A = 0x9e3779b9;
const KEY_B = 0xbb67ae85;
export const DEFAULT_ROUNDS = 10;

/** Four blocks of random u32 for (seed, offsets). */
export function randint4x(s: Semantic, seed: Operand, offsets: Operand, rounds = DEFAULT_ROUNDS): TValue[] {
  const offs = s.toValue(offsets);
  if (offs.type.isPointer || !offs.type.dtype.isInt || offs.type.dtype.bits !== 32) {
    throw new SemanticError(`random offsets must be 32-bit integers, got ${offs.type}`);
  }
  if (!Number.isInteger(rounds) || rounds <= 0) throw new SemanticError(`rounds must be a positive integer, got ${rounds}`);
  const u32 = (x: TValue): TValue => s.cast(x, dtypes.u32, x.type.dtype.bits === 32);
  const given = s.toValue(seed);
  // As Triton: the seed is an integer. A float or a pointer would be turned into some integer without a word.
  if (given.type.isPointer || !given.type.dtype.isInt) throw new SemanticError(`the seed must be an integer, got ${given.type}`, 'pass an integer seed (a float is not rounded for you, a tensor is not read)');
  if (given.type.isBlock) throw new SemanticError(`the seed must be a scalar integer, got ${given.type}`);
  const seed64 = s.cast(given, dtypes.u64);
  let k0 = s.cast(s.and(seed64, new Constexpr(0xffffffff)), dtypes.u32);
  let k1 = s.cast(s.and(s.shr(seed64, new Constexpr(32)), new Constexpr(0xffffffff)), dtypes.u32);
  let c0 = u32(offs);
  const zero = s.constant(0, dtypes.u32, offs.type.shape);
  let [c1, c2, c3] = [zero, zero, zero];
  const A = new Constexpr(ROUND_A);
  const B = new Constexpr(ROUND_B);
  for (let r = 0; r < rounds; r++) {
    const [p0, p2] = [c0, c2];
    c0 = s.xor(s.xor(s.umulhi(B, p2), c1), k0);
    c2 = s.xor(s.xor(s.umulhi(A, p0), c3), k1);
    c1 = s.mul(B, p2);
    c3 = s.mul(A, p0);
    k0 = s.add(k0, new Constexpr(KEY_A));
    k1 = s.add(k1, new Constexpr(KEY_B));
  }
  // Keep the offsets' signedness, as Triton does for randint.
  return [c0, c1, c2, c3].map((c) => s.cast(c, offs.type.dtype, true));
}

/** Maps random 32-bit integers to floats uniform in [0, 1). */
export function uniformFromBits(s: Semantic, x: TValue): TValue {
  const i = s.cast(x, dtypes.i32, true);
  const folded = s.where(s.compare('<', i, new Constexpr(0)), s.sub(s.minus(i), new Constexpr(1)), i);
  return s.mul(folded, new Constexpr(4.656613e-10, true));
}

/** Box-Muller: two uniform blocks to two standard normal blocks. */
export function normalPair(s: Semantic, u1: TValue, u2: TValue): [TValue, TValue] {
  const u = s.maximum(new Constexpr(1.0e-7, true), u1);
  const th = s.mul(new Constexpr(6.283185307179586, true), u2);
  const r = s.math('sqrt', s.mul(new Constexpr(-2.0, true), s.math('log', u)));
  return [s.mul(r, s.math('cos', th)), s.mul(r, s.math('sin', th))];
}
