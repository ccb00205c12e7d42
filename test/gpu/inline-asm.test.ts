// tl.inlineAsmElementwise on the GPU (the SIMT simulator in CI, which runs the asm itself: test/support/simt-asm.ts):
// what kt's design adds to Triton's tests (test/conformance/inline-asm.ts): invocations padded where a thread holds
// fewer elements than `pack`, tiles broadcast with scalars, each register kind ('h', 'r' with two 16-bit elements,
// 'l', 'f', 'd'), asm that declares registers of its own in every invocation, and the positional form with a tuple of
// dtypes. The interpreter cannot run PTX, so each result is checked against its value computed here.
import { describe, expect, test } from 'vitest';
import { Random, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import { f16FromBits, f16ToBits } from '../../src/numerics.ts';
import { packedShift } from '../conformance/inline-asm.ts';
import { gpuOnly, gpuPresent } from './harness.ts';

const rng = new Random(23);
const ints = (n: number, lo: number, hi: number): number[] => Array.from({ length: n }, () => lo + Math.floor(rng.next() * (hi - lo)));
const floats = (n: number): number[] => Array.from({ length: n }, () => Math.fround(rng.normal()));
const values = (t: { toArray(): ArrayLike<number | bigint> }): (number | bigint)[] => Array.from(t.toArray());

/** rows * cols + scale + 1 over a [ROWS, COLS] tile, from a column, a row, a scalar argument and a literal. */
const broadcastMad = kernel(function broadcastMad(out: Ptr, scale: i32, ROWS: constexpr, COLS: constexpr) {
  const rows = tl.expandDims(tl.arange(0, ROWS), 1);
  const cols = tl.expandDims(tl.arange(0, COLS), 0);
  const z = tl.inlineAsmElementwise('mad.lo.s32 $0, $1, $2, $3;\nadd.s32 $0, $0, $4;', '=r,r,r,r,r', [rows, cols, scale, 1], tl.int32, true, 1);
  tl.store(out + tl.expandDims(tl.arange(0, ROWS), 1) * COLS + tl.expandDims(tl.arange(0, COLS), 0), z);
});

/** Scalars only: a scalar result. */
const scalarAsm = kernel(function scalarAsm(out: Ptr, n: i32) {
  const z = tl.inlineAsmElementwise({ asm: 'shl.b32 $0, $1, 2;', constraints: '=r,r', args: [n], dtype: tl.int32, isPure: true });
  tl.store(out, z);
});

/** One kernel per register kind, chosen by KIND. */
const registerKinds = kernel(function registerKinds(X: Ptr, Y: Ptr, Z: Ptr, KIND: constexpr<string>, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const x = tl.load(X + offs);
  const y = tl.load(Y + offs);
  let z = x;
  if (KIND === 'h') z = tl.inlineAsmElementwise({ asm: 'xor.b16 $0, $1, 0x8000;', constraints: '=h,h', args: [x], dtype: tl.float16, isPure: true });
  else if (KIND === 'r-pair') z = tl.inlineAsmElementwise({ asm: 'and.b32 $0, $1, 0x00FF00FF;', constraints: '=r,r', args: [x], dtype: tl.int16, isPure: true, pack: 2 });
  else if (KIND === 'r-f16x2') z = tl.inlineAsmElementwise({ asm: 'xor.b32 $0, $1, 0x80008000;', constraints: '=r,r', args: [x], dtype: tl.float16, isPure: true, pack: 2 });
  else if (KIND === 'l') z = tl.inlineAsmElementwise({ asm: 'sub.s64 $0, $1, $2;', constraints: '=l,l,l', args: [x, y], dtype: tl.int64, isPure: true });
  else if (KIND === 'f') z = tl.inlineAsmElementwise({ asm: 'mul.f32 $0, $1, $2;', constraints: '=f,f,f', args: [x, 2.5], dtype: tl.float32, isPure: true });
  else if (KIND === 'd') z = tl.inlineAsmElementwise({ asm: 'sub.f64 $0, $1, $2;', constraints: '=d,d,d', args: [x, y], dtype: tl.float64, isPure: true });
  else tl.staticAssert(false, `unknown KIND ${KIND}`);
  tl.store(Z + offs, z);
});

/**
 * min and max through a predicate the asm declares at its top level: each invocation's { } scope keeps the
 * declarations of a thread's several invocations apart (ptxas refuses a register declared twice in one scope).
 */
const minMaxPredicate = kernel(function minMaxPredicate(A: Ptr, B: Ptr, LO: Ptr, HI: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const a = tl.load(A + offs);
  const b = tl.load(B + offs);
  const [lo, hi] = tl.inlineAsmElementwise(
    `.reg .pred smaller;
     setp.lt.s32 smaller, $2, $3;
     selp.b32 $0, $2, $3, smaller;
     selp.b32 $1, $3, $2, smaller;`,
    '=r,=r,r,r',
    [a, b],
    [tl.int32, tl.int32],
    true,
    1,
  );
  tl.store(LO + offs, lo);
  tl.store(HI + offs, hi);
});

/**
 * Asm with an effect (adds its second argument to the word its first points to) on a reduction's result: it runs
 * once per element in the layout the tile had, not once per copy in the reduction's slice layout (8 copies here).
 */
const addTo = kernel(function addTo(C: Ptr, X: Ptr, N: constexpr) {
  const rows = tl.arange(0, N);
  const s = tl.sum(tl.load(X + tl.expandDims(rows, 1) * N + tl.expandDims(rows, 0)), 1);
  tl.inlineAsmElementwise({ asm: 'ld.global.u32 $0, [$1];\nadd.u32 $0, $0, $2;\nst.global.u32 [$1], $0;', constraints: '=r,l,r', args: [C + rows, s], dtype: tl.uint32 });
});

/** Loads through pointers, two per invocation: a thread's padded invocation must not load through address 0. */
const loadPairs = kernel(function loadPairs(X: Ptr, Y: Ptr, BLOCK: constexpr) {
  const offs = tl.arange(0, BLOCK);
  const v = tl.inlineAsmElementwise({ asm: 'ld.global.u32 $0, [$2];\nld.global.u32 $1, [$3];', constraints: '=r,=r,l,l', args: [X + offs], dtype: tl.int32, isPure: true, pack: 2 });
  tl.store(Y + offs, v);
});

describe.skipIf(!gpuPresent)('inline asm on the GPU', () => {
  test('asm with effects runs once per element of its own layout, also on a reduction\'s result', () => {
    const [c] = gpuOnly(addTo, [1], [tensor(new Array(32).fill(0), { dtype: 'u32' }), tensor(new Array(32 * 32).fill(1), { dtype: 'i32' }), { N: 32, numWarps: 1 }]);
    expect(values(c!)).toEqual(new Array(32).fill(32));
  });

  test('a padded invocation repeats its first element: pointers it loads through stay valid', () => {
    const x = ints(128, -1000, 1000);
    const [, y] = gpuOnly(loadPairs, [1], [tensor(x, { dtype: 'i32' }), empty([128], 'i32'), { BLOCK: 128, numWarps: 4 }]);
    expect(values(y!)).toEqual(x);
  });

  test.each([
    [64, 1],
    [8, 1],
    [256, 2],
  ])('%i bytes on %i warps: invocations of 4 bytes, the last padded where a thread holds fewer', (block, numWarps) => {
    const x = ints(block, 0, 256);
    const [, y] = gpuOnly(packedShift, [1], [tensor(x, { dtype: 'u8' }), empty([block], 'u8'), { BLOCK: block, numWarps }]);
    expect(values(y!)).toEqual(x.map((v) => (v << 3) & 0xff));
  });

  test('a column, a row, a scalar argument and a literal broadcast to one tile', () => {
    const [out] = gpuOnly(broadcastMad, [1], [empty([8, 16], 'i32'), 1000, { ROWS: 8, COLS: 16 }]);
    expect(values(out!)).toEqual(Array.from({ length: 128 }, (_, i) => Math.floor(i / 16) * (i % 16) + 1001));
  });

  test('scalar arguments give a scalar result', () => {
    const [out] = gpuOnly(scalarAsm, [1], [empty([1], 'i32'), 11]);
    expect(values(out!)).toEqual([44]);
  });

  test("'h': an f16 in a 16-bit register", () => {
    const x = floats(128).map((v) => f16FromBits(f16ToBits(v)));
    const [, , z] = gpuOnly(registerKinds, [1], [tensor(x, { dtype: 'f16' }), empty([128], 'f16'), empty([128], 'f16'), { KIND: 'h', BLOCK: 128 }]);
    expect(values(z!)).toEqual(x.map((v) => -v));
  });

  test("'r' with pack 2: two i16 in one 32-bit register", () => {
    const x = ints(256, -32768, 32768);
    const [, , z] = gpuOnly(registerKinds, [1], [tensor(x, { dtype: 'i16' }), empty([256], 'i16'), empty([256], 'i16'), { KIND: 'r-pair', BLOCK: 256 }]);
    expect(values(z!)).toEqual(x.map((v) => v & 0xff));
  });

  test("'r' with pack 2: two f16 in one 32-bit register, negated together", () => {
    const x = floats(256).map((v) => f16FromBits(f16ToBits(v)));
    const [, , z] = gpuOnly(registerKinds, [1], [tensor(x, { dtype: 'f16' }), empty([256], 'f16'), empty([256], 'f16'), { KIND: 'r-f16x2', BLOCK: 256 }]);
    expect(values(z!)).toEqual(x.map((v) => -v));
  });

  test("'l': 64-bit integers", () => {
    const [x, y] = [ints(128, -(2 ** 31), 2 ** 31).map((v) => BigInt(v) * 4099n), ints(128, -(2 ** 31), 2 ** 31).map((v) => BigInt(v) << 20n)];
    const [, , z] = gpuOnly(registerKinds, [1], [tensor(x, { dtype: 'i64' }), tensor(y, { dtype: 'i64' }), empty([128], 'i64'), { KIND: 'l', BLOCK: 128 }]);
    expect(values(z!)).toEqual(x.map((v, i) => BigInt.asIntN(64, v - y[i]!)));
  });

  test("'f' and 'd': f32 and f64 registers", () => {
    const x = floats(128);
    const [, , zf] = gpuOnly(registerKinds, [1], [tensor(x, { dtype: 'f32' }), empty([128], 'f32'), empty([128], 'f32'), { KIND: 'f', BLOCK: 128 }]);
    expect(values(zf!)).toEqual(x.map((v) => Math.fround(v * 2.5)));
    const [a, b] = [floats(128).map((v) => v / 3), floats(128).map((v) => v / 7)];
    const [, , zd] = gpuOnly(registerKinds, [1], [tensor(a, { dtype: 'f64' }), tensor(b, { dtype: 'f64' }), empty([128], 'f64'), { KIND: 'd', BLOCK: 128 }]);
    expect(values(zd!)).toEqual(a.map((v, i) => v - b[i]!));
  });

  test('registers the asm declares, in every invocation of a thread, and two results', () => {
    const [a, b] = [ints(128, -1000, 1000), ints(128, -1000, 1000)];
    const [, , lo, hi] = gpuOnly(minMaxPredicate, [1], [tensor(a, { dtype: 'i32' }), tensor(b, { dtype: 'i32' }), empty([128], 'i32'), empty([128], 'i32'), { BLOCK: 128, numWarps: 1 }]);
    expect(values(lo!)).toEqual(a.map((v, i) => Math.min(v, b[i]!)));
    expect(values(hi!)).toEqual(a.map((v, i) => Math.max(v, b[i]!)));
  });
});
