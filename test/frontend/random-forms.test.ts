// 64-bit offsets for tl.rand / tl.randint / tl.randn (Philox 4x64-10, as Triton picks for int64 offsets) and
// tl.randomUintToUniformFloat, on the interpreter against Philox computed here with BigInt.
import { describe, expect, test } from 'vitest';
import { empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { randoms64 } from './control-flow-kernels.ts';

const MASK64 = (1n << 64n) - 1n;
const [ROUND_A, ROUND_B] = [0xd2e7470ee14c6c93n, 0xca5a826395121157n];
const [KEY_A, KEY_B] = [0x9e3779b97f4a7c15n, 0xbb67ae8584caa73bn];

/** Philox 4x64-10 of counter (offset, 0, 0, 0) under key (seed, 0): Random123's rounds. */
function philox4x64(seed: bigint, offset: bigint): bigint[] {
  let [c0, c1, c2, c3] = [BigInt.asUintN(64, offset), 0n, 0n, 0n];
  let [k0, k1] = [BigInt.asUintN(64, seed), 0n];
  for (let r = 0; r < 10; r++) {
    const [p0, p2] = [c0, c2];
    c0 = ((ROUND_B * p2) >> 64n) ^ c1 ^ k0;
    c2 = ((ROUND_A * p0) >> 64n) ^ c3 ^ k1;
    c1 = (ROUND_B * p2) & MASK64;
    c3 = (ROUND_A * p0) & MASK64;
    k0 = (k0 + KEY_A) & MASK64;
    k1 = (k1 + KEY_B) & MASK64;
  }
  return [c0, c1, c2, c3];
}

/** Triton's uint_to_uniform_float for 64-bit words, in f32: read as signed, folded, scaled. */
function uniform64(bits: bigint): number {
  const i = BigInt.asIntN(64, bits);
  const folded = i < 0n ? -i - 1n : i;
  return Math.fround(Math.fround(Number(folded)) * Math.fround(1.0842020432385337e-19));
}

describe('random numbers from 64-bit offsets', () => {
  const BLOCK = 8;
  const seed = 1234567;
  const base = 3n << 40n;
  const offsets = Array.from({ length: BLOCK }, (_, i) => base + BigInt(i));

  test('are Philox 4x64-10 words, and uniform and normal floats made from them', () => {
    const ints = empty([2 * BLOCK], 'i64');
    const floats = empty([3 * BLOCK]);
    randoms64([1], ints, floats, seed, tensor([base], { dtype: 'i64' }), { BLOCK });
    const words = offsets.map((o) => philox4x64(BigInt(seed), o));
    expect(Array.from(ints.toArray() as BigInt64Array)).toEqual([...words.map((w) => BigInt.asIntN(64, w[0]!)), ...words.map((w) => BigInt.asIntN(64, w[1]!))]);
    const got = Array.from(floats.toArray() as Float32Array);
    const uniform = words.map((w) => uniform64(w[0]!));
    expect(got.slice(0, BLOCK)).toEqual(uniform);
    expect(got.slice(2 * BLOCK)).toEqual(uniform);
    for (const u of uniform) expect(u >= 0 && u < 1).toBe(true);
    // Box-Muller on the first two words; the interpreter's f32 sqrt, log and cos round once each.
    const normal = words.map((w) => Math.sqrt(-2 * Math.log(Math.max(1e-7, uniform64(w[0]!)))) * Math.cos(2 * Math.PI * uniform64(w[1]!)));
    got.slice(BLOCK, 2 * BLOCK).forEach((v, i) => expect(v).toBeCloseTo(normal[i]!, 5));
  });

  test('32-bit words map to floats as tl.rand maps them', () => {
    const k = kernel(function uniform32(out: Ptr, seed: i32, BLOCK: constexpr) {
      const offs = tl.arange(0, BLOCK);
      tl.store(out + offs, tl.randomUintToUniformFloat(tl.randint(seed, offs)) - tl.rand(seed, offs));
    });
    const out = empty([BLOCK]);
    k([1], out, seed, { BLOCK });
    expect(Array.from(out.toArray() as Float32Array)).toEqual(Array(BLOCK).fill(0));
  });

  test('offsets of other widths are refused', () => {
    const k = kernel(function narrow(out: Ptr, seed: i32, BLOCK: constexpr) {
      tl.store(out + tl.arange(0, BLOCK), tl.rand(seed, tl.arange(0, BLOCK).to(tl.int16)));
    });
    expect(() => k([1], empty([BLOCK]), seed, { BLOCK })).toThrow(/random offsets must be 32- or 64-bit integers, got tensor<8xi16>/);
    const f = kernel(function floatBits(out: Ptr, BLOCK: constexpr) {
      tl.store(out + tl.arange(0, BLOCK), tl.randomUintToUniformFloat(tl.arange(0, BLOCK).to(tl.float32)));
    });
    expect(() => f([1], empty([BLOCK]), { BLOCK })).toThrow(/random bits must be 32- or 64-bit integers, got tensor<8xf32>/);
  });
});
