import { describe, expect, test } from 'vitest';
import { E4M3_MAX, E5M2_MAX, bf16FromBits, bf16ToBits, e4m3FromBits, e4m3ToBits, e5m2FromBits, e5m2ToBits, f16FromBits, f16ToBits, roundBF16, roundE4M3, roundE5M2, roundF16, roundToFloat } from '../src/numerics.ts';
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

describe('8-bit floats (OCP e4m3 = E4M3FN, e5m2), converted as cvt.rn.satfinite does', () => {
  const formats = [
    { name: 'e4m3', enc: e4m3ToBits, dec: e4m3FromBits, round: roundE4M3, max: 448, maxBits: 0x7e, minSub: 2 ** -9, minNormal: 2 ** -6 },
    { name: 'e5m2', enc: e5m2ToBits, dec: e5m2FromBits, round: roundE5M2, max: 57344, maxBits: 0x7b, minSub: 2 ** -16, minNormal: 2 ** -14 },
  ] as const;

  test('the formats: largest finite, smallest subnormal and normal, NaN, infinities, -0', () => {
    expect(E4M3_MAX).toBe(448);
    expect(E5M2_MAX).toBe(57344);
    expect([e4m3FromBits(0x7e), e4m3FromBits(0x01), e4m3FromBits(0x08), e4m3FromBits(0x77)]).toEqual([448, 2 ** -9, 2 ** -6, 240]);
    expect([e4m3FromBits(0x7f), e4m3FromBits(0xff)].every(Number.isNaN)).toBe(true); // the only NaNs: no infinity
    expect(Array.from({ length: 256 }, (_, b) => e4m3FromBits(b)).filter((v) => !Number.isFinite(v))).toHaveLength(2);
    expect([e5m2FromBits(0x7b), e5m2FromBits(0x01), e5m2FromBits(0x04), e5m2FromBits(0x7c), e5m2FromBits(0xfc)]).toEqual([57344, 2 ** -16, 2 ** -14, Infinity, -Infinity]);
    expect([0x7d, 0x7e, 0x7f, 0xfd, 0xfe, 0xff].every((b) => Number.isNaN(e5m2FromBits(b)))).toBe(true);
    for (const f of formats) expect(Object.is(f.dec(0x80), -0), f.name).toBe(true);
  });

  test.each(formats)('$name: every non-NaN pattern encodes back to itself; NaNs become 0x7f', (f) => {
    for (let b = 0; b < 256; b++) {
      const v = f.dec(b);
      if (Number.isNaN(v)) expect(f.enc(v)).toBe(0x7f);
      else if (!Number.isFinite(v)) expect(f.enc(v, false)).toBe(b); // infinities encode exactly without satfinite
      else expect(f.enc(v)).toBe(b);
    }
  });

  test.each(formats)('$name: ties go to the even neighbour, others to the nearest', (f) => {
    for (let b = 0; b < f.maxBits; b++) {
      const [lo, hi] = [f.dec(b), f.dec(b + 1)];
      const tie = (lo + hi) / 2;
      expect(f.enc(tie), `${lo}..${hi}`).toBe(b % 2 === 0 ? b : b + 1);
      expect(f.enc(tie + (hi - lo) * 1e-9)).toBe(b + 1);
      expect(f.enc(tie - (hi - lo) * 1e-9)).toBe(b);
      expect(f.enc(-tie)).toBe((b % 2 === 0 ? b : b + 1) | 0x80);
    }
  });

  test.each(formats)('$name: saturation at the largest finite value, infinities included; NaN stays NaN', (f) => {
    const past = [f.max * (1 + 1e-9), f.max * 1.07, f.max * 1.0625, f.max * 1.2, 1e30, Number.MAX_VALUE, Infinity];
    for (const x of past) {
      expect(f.round(x), String(x)).toBe(f.max);
      expect(f.round(-x)).toBe(-f.max);
      expect(f.enc(x)).toBe(f.maxBits);
      expect(f.enc(-x)).toBe(f.maxBits | 0x80);
    }
    expect(f.round(f.max)).toBe(f.max);
    expect(Number.isNaN(f.round(NaN))).toBe(true);
    expect(f.enc(-NaN)).toBe(0x7f); // the positive NaN, whatever the sign (what the H200 gives, too)
    // Without .satfinite (the OCP's non-saturating mode, for the tensor-core model): infinity, or NaN for e4m3.
    expect(f.enc(f.max * 1.2, false)).toBe(f.name === 'e4m3' ? 0x7f : 0x7c);
    expect(f.enc(-Infinity, false)).toBe(f.name === 'e4m3' ? 0xff : 0xfc);
  });

  test.each(formats)('$name: subnormals, underflow to signed zero, and the first normal', (f) => {
    expect(f.round(f.minSub)).toBe(f.minSub);
    expect(f.round(f.minSub / 2)).toBe(0); // a tie with zero: to even (zero)
    expect(f.round(f.minSub * 0.5000001)).toBe(f.minSub);
    expect(f.round(f.minSub * 1.5)).toBe(2 * f.minSub); // a tie: to the even 2
    expect(f.round(f.minSub * 2.5)).toBe(2 * f.minSub);
    expect(Object.is(f.round(-f.minSub / 4), -0)).toBe(true);
    expect(Object.is(f.round(-0), -0)).toBe(true);
    expect(f.enc(-0)).toBe(0x80);
    expect(f.round(f.minNormal - f.minSub / 4)).toBe(f.minNormal); // rounds up out of the subnormals
    expect(f.round(5e-324)).toBe(0);
  });

  test('rounding comes straight from the double, not through f32', () => {
    const x = 1.0625 + 2 ** -40; // just above the e4m3 tie between 1 and 1.125, by less than an f32 can hold
    expect(Math.fround(x)).toBe(1.0625);
    expect(roundE4M3(x)).toBe(1.125);
    expect(roundE4M3(Math.fround(x))).toBe(1);
  });

  test('roundToFloat takes the IR float kinds', () => {
    expect(roundToFloat(1000, 'f8E4M3FN')).toBe(448);
    expect(roundToFloat(-1e6, 'f8E5M2')).toBe(-57344);
    expect(roundToFloat(0.3, 'f8E5M2')).toBe(0.3125);
  });
});

describe('fp8 tensors', () => {
  test('tensor() encodes with the same rounding; toArray() and toNumbers() decode exactly', async () => {
    const { tensor } = await import('../src/runtime/tensor.ts');
    const t = tensor([0.3, -1000, 2 ** -10, 3 * 2 ** -10, Infinity, NaN, -0], { dtype: 'f8e4m3' });
    expect(Array.from(t.data as Uint8Array)).toEqual([0x2a, 0xfe, 0x00, 0x02, 0x7e, 0x7f, 0x80]);
    expect(t.toArray()).toBeInstanceOf(Float32Array);
    expect(t.toNumbers()).toEqual([0.3125, -448, 0, 2 ** -8, 448, NaN, -0]);
    const u = tensor([1e9, -Infinity, 0.1], { dtype: 'float8e5' }); // Triton's name
    expect(u.dtype.name).toBe('f8e5m2');
    expect(u.toNumbers()).toEqual([57344, -57344, 0.09375]);
    expect(u.toString()).toBe('Tensor(f8e5m2, [3]: 57344, -57344, 0.09375)');
    expect(tensor([1], { dtype: 'float8_e4m3fn' }).dtype.name).toBe('f8e4m3'); // PyTorch's name
  });

  test('views, clone, fill and valuesAt work on the bytes', async () => {
    const { tensor } = await import('../src/runtime/tensor.ts');
    const m = tensor([1, 2, 3, 4, 5, 6], { dtype: 'f8e4m3', shape: [2, 3] });
    expect(m.transpose().toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(m.transpose().clone().toNumbers()).toEqual([1, 4, 2, 5, 3, 6]);
    expect(m.transpose().valuesAt([1, 4])).toEqual([4, 3]);
    expect(m.clone().fill(500).toNumbers()).toEqual([448, 448, 448, 448, 448, 448]);
    expect(m.dtype.bytes).toBe(1);
  });

  test('randn and rand make fp8 tensors', async () => {
    const { rand, randn } = await import('../src/runtime/tensor.ts');
    for (const dtype of ['f8e4m3', 'f8e5m2']) {
      const v = randn([20_001], { dtype, seed: 3 }).toNumbers();
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean), dtype).toBeLessThan(0.05);
      expect(sd, dtype).toBeGreaterThan(0.9);
      expect(sd, dtype).toBeLessThan(1.1);
      expect(rand([100], { dtype, seed: 1 }).toNumbers().every((x) => x >= 0 && x <= 1)).toBe(true);
    }
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
