// fpDowncastRounding 'rtz' (Triton's fp_downcast_rounding='rtz') on the interpreter: every float narrowing rounds
// toward zero, checked against an independent reference at the edges (values of the target format and just above,
// below and between them, overflow, infinities, NaN, zeros, subnormals) and on random inputs; constant folding
// agrees; the IR attribute prints, parses and verifies; and where Triton refuses the option, kt does, at the line.
import { describe, expect, test } from 'vitest';
import { dtypes, empty, kernel, tensor, tl, type DType, type Ptr, type constexpr } from 'kt';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { verify } from '../../src/compiler/ir/verifier.ts';
import { roundTowardZero } from '../../src/numerics.ts';
import { rtzInputs, rtzPairs, sameResult, towardZeroReference } from '../support/cast-rounding.ts';
import { compileErrorOf } from '../support/located-errors.ts';

const truncate = kernel(function truncate(x: Ptr, y: Ptr, TO: constexpr<DType>, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(y + offs, tl.load(x + offs).to(TO, { fpDowncastRounding: 'rtz' }));
});

/** Both spellings, and 'rtne' spelled out, on one f32 value. */
const spellings = kernel(function spellings(y: Ptr, v: number) {
  const x = tl.full([4], v, tl.float32);
  const rz = tl.cast(x, tl.float16, { fpDowncastRounding: 'rtz' });
  const rn = x.to(tl.float16, { fpDowncastRounding: 'rtne' });
  const folded = tl.cast(tl.full([4], 1.0009765625 + 2 ** -12, tl.float32), tl.float16, { fpDowncastRounding: 'rtz' });
  tl.store(y + tl.arange(0, 4), tl.where(tl.arange(0, 4) === 0, rz, tl.where(tl.arange(0, 4) === 1, rn, folded)));
});

/** Literals converted with and without a rounding mode: each rounded once, from the exact number. */
const literals = kernel(function literals(y: Ptr) {
  const o = tl.arange(0, 4);
  const plain = tl.cast(1.00048828218, tl.float16);
  const nearest = tl.cast(1.00048828218, tl.float16, { fpDowncastRounding: 'rtne' });
  const towardZero = tl.cast(1.0009765624999, tl.float16, { fpDowncastRounding: 'rtz' });
  const negative = tl.cast(-1.0009765624999, tl.float16, { fpDowncastRounding: 'rtz' });
  tl.store(y + o, tl.where(o === 0, plain, tl.where(o === 1, nearest, tl.where(o === 2, towardZero, negative))));
});

describe('rounding toward zero on the interpreter', () => {
  test('a literal is rounded once from its exact value, with or without a rounding mode', () => {
    const y = empty([4], 'f16');
    literals([1], y);
    // 1.00048828218 lies just above the halfway point 1 + 2^-11 between 1 and the next f16, 1 + 2^-10; in f32 it
    // would first round to that halfway point and then to even (1). 1.0009765624999 lies just below 1 + 2^-10,
    // to which f32 would round it up before the truncation.
    expect(Array.from(y.toArray() as ArrayLike<number>)).toEqual([1.0009765625, 1.0009765625, 1, -1]);
  });

  for (const [from, to] of rtzPairs) {
    test(`${from} to ${to}`, () => {
      const values = rtzInputs(from, to);
      const n = Math.ceil(values.length / 1024) * 1024;
      const x = tensor([...values, ...Array<number>(n - values.length).fill(0)], { dtype: from });
      const y = empty([n], to);
      truncate([n / 1024], x, y, { TO: dtypes[to], BLOCK: 1024 });
      const [xs, ys] = [Array.from(x.toArray() as ArrayLike<number>), Array.from(y.toArray() as ArrayLike<number>)];
      const wrong = xs.flatMap((v, i) => (sameResult(ys[i]!, towardZeroReference(v, to)) ? [] : [`${v} gave ${ys[i]}, want ${towardZeroReference(v, to)}`]));
      expect(wrong.slice(0, 5), `${wrong.length} of ${n} wrong`).toEqual([]);
    });
  }

  test('the edges, one by one', () => {
    expect(roundTowardZero(1 + 2 ** -11, 'f16')).toBe(1); // the tie rounds down, not to even
    expect(roundTowardZero(1 + 2 ** -10 - 2 ** -40, 'f16')).toBe(1);
    expect(roundTowardZero(-(1 + 2 ** -10 - 2 ** -40), 'f16')).toBe(-1);
    expect(roundTowardZero(65519, 'f16')).toBe(65504); // to nearest this is 65504, but 65520 would be infinity
    expect(roundTowardZero(1e10, 'f16')).toBe(65504); // overflow gives the largest finite value, not infinity
    expect(roundTowardZero(-1e10, 'f16')).toBe(-65504);
    expect(roundTowardZero(Infinity, 'f16')).toBe(Infinity);
    expect(roundTowardZero(-Infinity, 'bf16')).toBe(-Infinity);
    expect(roundTowardZero(Infinity, 'f8E5M2')).toBe(57344); // fp8 conversions saturate, infinities too
    expect(roundTowardZero(-Infinity, 'f8E4M3FN')).toBe(-448);
    expect(roundTowardZero(479.9, 'f8E4M3FN')).toBe(448);
    expect(roundTowardZero(2 ** -24 * 1.999, 'f16')).toBe(2 ** -24); // subnormals
    expect(Object.is(roundTowardZero(-(2 ** -25), 'f16'), -0)).toBe(true); // below the smallest: zero, signed
    expect(Object.is(roundTowardZero(-0, 'f8E4M3FN'), -0)).toBe(true);
    expect(roundTowardZero(2 ** -9 * 1.9, 'f8E4M3FN')).toBe(2 ** -9);
    expect(Number.isNaN(roundTowardZero(NaN, 'f8E4M3FN'))).toBe(true);
    expect(roundTowardZero(3.4028235677973366e38 * 1.0000001, 'f32')).toBe(3.4028234663852886e38);
    expect(roundTowardZero(1 + 2 ** -24, 'f32')).toBe(1);
    expect(roundTowardZero(1 + 2 ** -23 - 2 ** -50, 'bf16')).toBe(1);
    expect(roundTowardZero(1.9999, 'bf16')).toBe(1.9921875);
  });

  test('both spellings, rtne spelled out, and a folded constant', () => {
    const y = empty([4], 'f16');
    spellings([1], y, 1 + 2 ** -10 - 2 ** -20);
    // rtz truncates to 1; rtne rounds up to 1 + 2^-10; the folded constant 1.0009765625 + 2^-12 truncates to 1.0009765625.
    expect(Array.from(y.toArray() as ArrayLike<number>)).toEqual([1, 1 + 2 ** -10, 1.0009765625, 1.0009765625]);
  });

  test('the IR attribute prints, parses and verifies', () => {
    const ir = truncate.definition.specialize(truncate.definition.bind([empty([8], 'f32'), empty([8], 'f16'), { TO: tl.float16, BLOCK: 8 }]).bindings).ir.module;
    const text = printOp(ir);
    expect(text).toMatch(/arith\.truncf .*rounding = "rtz"/);
    const again = parseModule(text);
    verify(again);
    expect(printOp(again)).toBe(text);
    // rtz on a conversion that keeps the width (f16 to bf16) is refused by the verifier.
    const bad = parseModule(text.replace(/-> tensor<8xf16>/g, '-> tensor<8xbf16>').replace(/tensor<8xf16>/g, 'tensor<8xbf16>').replace(/tensor<8xf32>/g, 'tensor<8xf16>').replace(/!tt\.ptr<f32>/g, '!tt.ptr<f16>'));
    expect(() => verify(bad)).toThrow(/rounding "rtz" needs a narrower result/);
  });
});

const upcast = kernel(function upcast(x: Ptr, y: Ptr) {
  tl.store(y + tl.arange(0, 8), tl.load(x + tl.arange(0, 8)).to(tl.float32, { fpDowncastRounding: 'rtz' }));
});
const intCast = kernel(function intCast(x: Ptr, y: Ptr) {
  tl.store(y + tl.arange(0, 8), tl.load(x + tl.arange(0, 8)).to(tl.int16, { fpDowncastRounding: 'rtne' }));
});
const sameWidth = kernel(function sameWidth(x: Ptr, y: Ptr) {
  tl.store(y + tl.arange(0, 8), tl.cast(tl.load(x + tl.arange(0, 8)), tl.bfloat16, { fpDowncastRounding: 'rtz' }));
});
const withBitcast = kernel(function withBitcast(x: Ptr, y: Ptr) {
  tl.store(y + tl.arange(0, 8), tl.load(x + tl.arange(0, 8)).to(tl.int32, { bitcast: true, fpDowncastRounding: 'rtz' }));
});
const unknownMode = kernel(function unknownMode(x: Ptr, y: Ptr, MODE: constexpr<string>) {
  tl.store(y + tl.arange(0, 8), tl.load(x + tl.arange(0, 8)).to(tl.float16, { fpDowncastRounding: MODE as 'rtz' }));
});

describe('fpDowncastRounding where Triton refuses it', () => {
  const refused = (run: () => void, message: RegExp, line: string): void => {
    const { message: text } = compileErrorOf(run);
    expect(text).toMatch(message);
    // Located at the call, in this file.
    expect(text).toContain('cast-rounding.test.ts:');
    expect(text).toContain(line);
  };
  test('on a widening, an integer conversion, a same-width conversion, a bitcast, and an unknown mode', () => {
    refused(() => upcast([1], empty([8], 'f16'), empty([8], 'f32')), /fpDowncastRounding applies only to conversions from a float to a narrower float, and f16 to f32 is not one/, 'fpDowncastRounding');
    refused(() => intCast([1], empty([8], 'f32'), empty([8], 'i16')), /f32 to i16 is not one/, 'fpDowncastRounding');
    refused(() => sameWidth([1], empty([8], 'f16'), empty([8], 'bf16')), /f16 to bf16 is not one/, 'fpDowncastRounding');
    refused(() => withBitcast([1], empty([8], 'f32'), empty([8], 'i32')), /does not apply to a bitcast/, 'fpDowncastRounding');
    refused(() => unknownMode([1], empty([8], 'f32'), empty([8], 'f16'), { MODE: 'rtp' }), /unknown rounding mode "rtp"/, 'fpDowncastRounding');
  });
});
