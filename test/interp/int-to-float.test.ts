// Integer to float conversions round once, to nearest even, on the interpreter (and on the simulator, which shares
// its element expressions): a 64-bit integer goes to a double rounded to odd before a narrower float, where
// Number() then Math.fround rounded twice (2^60 + 2^36 + 1 became 2^60 instead of 2^60 + 2^37, which the GPU's
// cvt.rn.f32.s64 gives). Checked against an exact reference on bigints, at and around the ties of f32 and bf16.
import { describe, expect, test } from 'vitest';
import { dtypes, empty, kernel, tensor, tl, type Ptr, type constexpr } from 'kt';
import { bigIntToDoubleOdd, roundToFloat } from '../../src/numerics.ts';
import { convert, nearTieBlock, nearTieIntegers, roundIntToBits } from '../support/int-to-float.ts';

const significantBits = { f32: 24, bf16: 8 } as const;

describe('integer to float rounds once', () => {
  test('a 64-bit integer as a double rounded to odd rounds to f32 and bf16 as the integer does', () => {
    for (const v of [...nearTieIntegers(64, true), ...nearTieIntegers(64, false)]) {
      for (const [to, bits] of Object.entries(significantBits)) {
        expect(roundToFloat(bigIntToDoubleOdd(v), to as 'f32' | 'bf16'), `${v} to ${to}`).toBe(Number(roundIntToBits(v, bits)));
      }
    }
    expect(bigIntToDoubleOdd((1n << 60n) + (1n << 36n) + 1n)).toBe(2 ** 60 + 2 ** 36 + 256);
    expect(bigIntToDoubleOdd(-(2n ** 63n))).toBe(-(2 ** 63));
  });

  test('a tensor of floats made from bigints, and a fill with one, round each once', () => {
    const v = (1n << 60n) + (1n << 36n) + 1n;
    expect(Array.from(tensor([v, -v], { dtype: 'f32' }).toArray() as Float32Array)).toEqual([2 ** 60 + 2 ** 37, -(2 ** 60 + 2 ** 37)]);
    const b = (1n << 60n) + (1n << 52n) + 1n;
    expect(empty([2], 'bf16').fill(b).toNumbers()).toEqual([2 ** 60 + 2 ** 53, 2 ** 60 + 2 ** 53]);
    expect(Array.from(tensor([v], { dtype: 'f64' }).toArray() as Float64Array)).toEqual([Number(v)]);
  });

  test('a bigint constant of a float dtype is rounded once', () => {
    const full = kernel(function full(y: Ptr, C: constexpr) {
      tl.store(y + tl.arange(0, 2), tl.full([2], C, tl.float32));
    });
    const y = empty([2], 'f32');
    full([1], y, { C: (1n << 60n) + (1n << 36n) + 1n });
    expect(Array.from(y.toArray() as Float32Array)).toEqual([2 ** 60 + 2 ** 37, 2 ** 60 + 2 ** 37]);
  });

  for (const from of ['i32', 'u32', 'i64', 'u64'] as const) {
    for (const [to, bits] of Object.entries(significantBits)) {
      test(`${from} to ${to} in a kernel`, () => {
        const wide = from.endsWith('64');
        const values = nearTieBlock(wide ? 64 : 32, from.startsWith('i'));
        const x = tensor(wide ? values : values.map(Number), { dtype: from });
        const y = empty([values.length], to as 'f32' | 'bf16');
        convert([1], x, y, { TO: dtypes[to as 'f32' | 'bf16'], BLOCK: values.length });
        const got = Array.from(y.toArray() as ArrayLike<number>);
        const wrong = values.flatMap((v, i) => (got[i] === Number(roundIntToBits(v, bits)) ? [] : [`${v} gave ${got[i]}`]));
        expect(wrong.slice(0, 5), `${wrong.length} of ${values.length} wrong`).toEqual([]);
      });
    }
  }
});
