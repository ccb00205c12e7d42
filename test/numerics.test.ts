import { describe, expect, test } from 'vitest';
import { bf16FromBits, bf16ToBits, f16FromBits, f16ToBits, roundBF16, roundF16 } from '../src/numerics.ts';
import { wrapInt } from '../src/numerics.ts';

describe('16-bit floats', () => {
  test('every f16 and bf16 bit pattern decodes and encodes back (NaNs stay NaN)', () => {
    for (let b = 0; b < 65536; b++) {
      const h = f16FromBits(b);
      if (Number.isNaN(h)) expect(Number.isNaN(f16FromBits(f16ToBits(h)))).toBe(true);
      else expect(f16ToBits(h)).toBe(b);
      const g = bf16FromBits(b);
      if (Number.isNaN(g)) expect(Number.isNaN(bf16FromBits(bf16ToBits(g)))).toBe(true);
      else expect(bf16ToBits(g)).toBe(b);
    }
  });

  test('halfway values round to the even neighbour, others to the nearest', () => {
    for (let b = 0; b < 0x7bff; b++) {
      const lo = f16FromBits(b);
      const hi = f16FromBits(b + 1);
      const mid = (lo + hi) / 2;
      expect(f16ToBits(mid)).toBe(b % 2 === 0 ? b : b + 1);
      expect(f16ToBits(mid + (hi - lo) * 1e-6)).toBe(b + 1);
      expect(f16ToBits(mid - (hi - lo) * 1e-6)).toBe(b);
      expect(f16ToBits(-mid)).toBe((b % 2 === 0 ? b : b + 1) | 0x8000);
    }
  });

  test('overflow, underflow and the edges of the range', () => {
    expect(roundF16(65504)).toBe(65504);
    expect(roundF16(65519.999)).toBe(65504);
    expect(roundF16(65520)).toBe(Infinity);
    expect(roundF16(-1e9)).toBe(-Infinity);
    expect(roundF16(2 ** -24)).toBe(2 ** -24); // smallest subnormal
    expect(roundF16(2 ** -25)).toBe(0); // halfway to zero: ties to even (zero)
    expect(roundF16(2 ** -25 * 1.0001)).toBe(2 ** -24);
    expect(Object.is(roundF16(-1e-10), -0)).toBe(true);
    expect(roundBF16(3.39e38)).toBe(3.3895313892515355e38);
    expect(roundBF16(3.4e38)).toBe(Infinity); // past halfway to 2^128
    expect(roundBF16(3.4e39)).toBe(Infinity);
    expect(roundBF16(1 + 2 ** -8)).toBe(1);
    expect(roundBF16(1 + 3 * 2 ** -8)).toBe(1 + 2 ** -6);
  });

  test('rounding comes straight from the double, not through f32', () => {
    // Just above the halfway point between two f16 values, by less than an f32 can hold: through f32 it would tie.
    const x = 1 + 2 ** -11 + 2 ** -40;
    expect(Math.fround(x)).toBe(1 + 2 ** -11);
    expect(roundF16(x)).toBe(1 + 2 ** -10);
  });
});

test('integer wrap-around', () => {
  expect(wrapInt(128, 8, true)).toBe(-128);
  expect(wrapInt(-1, 8, false)).toBe(255);
  expect(wrapInt(2 ** 32 + 5, 32, true)).toBe(5);
  expect(wrapInt(-1, 32, false)).toBe(4294967295);
  expect(wrapInt(2n ** 63n, 64, true)).toBe(-(2n ** 63n));
  expect(wrapInt(3, 1, true)).toBe(1);
});

test('normal quantiles, and 16-bit randn draws from them', async () => {
  const { normalQuantile } = await import('../src/numerics.ts');
  const { randn } = await import('../src/runtime/tensor.ts');
  expect(normalQuantile(0.5)).toBe(0);
  expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
  expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306, 8);
  expect(normalQuantile(0.3)).toBeCloseTo(-normalQuantile(0.7), 12);
  expect(() => normalQuantile(1)).toThrow(RangeError);
  for (const dtype of ['f16', 'bf16', 'f32'] as const) {
    const v = Array.from(randn([100_001], { dtype, seed: 5, scale: 2 }).toArray() as Float32Array);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    expect(Math.abs(mean), dtype).toBeLessThan(0.03);
    expect(sd, dtype).toBeGreaterThan(1.95);
    expect(sd, dtype).toBeLessThan(2.05);
  }
});
