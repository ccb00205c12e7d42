// The language's control flow, helpers and compile-time evaluation, run on the interpreter.
import { describe, expect, test } from 'vitest';
import { empty, kernel, tensor, tl, type Ptr, type constexpr, type i32, type f32 } from 'kt';
import { cube, sumOfSquares } from './helpers.ts';

const nums = (t: { toArray(): ArrayLike<number | bigint> }): number[] => Array.from(t.toArray(), Number);

describe('control flow', () => {
  const ifElse = kernel(function ifElse(out: Ptr, n: i32) {
    let v = 0;
    if (n > 10) {
      v = n * 2;
    } else if (n > 5) {
      v = n + 100;
    } else {
      v = -1;
    }
    tl.store(out, v);
  });

  test('if / else if / else on run-time values', () => {
    for (const [n, want] of [[20, 40], [7, 107], [1, -1]]) {
      const out = empty([1], 'i32');
      ifElse([1], out, n);
      expect(nums(out)).toEqual([want]);
    }
  });

  const earlyReturn = kernel(function earlyReturn(out: Ptr, n: i32, BLOCK: constexpr) {
    const pid = tl.programId(0);
    if (pid * BLOCK >= n) return;
    const offs = pid * BLOCK + tl.arange(0, BLOCK);
    tl.store(out + offs, offs, { mask: offs < n });
  });

  test('an early return skips the rest of the program', () => {
    const out = tensor(new Array(10).fill(-5), { dtype: 'i32' });
    earlyReturn([8], out, 10, { BLOCK: 4 });
    expect(nums(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  const constexprIf = kernel(function constexprIf(out: Ptr, MODE: constexpr<string>) {
    if (MODE === 'double') tl.store(out, 2);
    else if (MODE === 'triple') tl.store(out, 3);
    else tl.staticAssert(false, `unknown MODE ${MODE}`);
  });

  test('if on a constexpr compiles only the taken branch', () => {
    const out = empty([1], 'i32');
    constexprIf([1], out, { MODE: 'triple' });
    expect(nums(out)).toEqual([3]);
    expect(() => constexprIf([1], out, { MODE: 'other' })).toThrow(/unknown MODE other/);
  });

  const loops = kernel(function loops(out: Ptr, n: i32) {
    let a = 0;
    for (let i = 0; i < n; i++) a += i;
    let b = 0;
    for (let i = 2; i <= n; i += 3) b += i;
    let c = 0;
    for (const i of tl.range(1, n, 2)) c += i * i;
    let d = 0;
    let k = n;
    while (k > 0) {
      d += k;
      k -= 2;
    }
    let e = 0;
    do {
      e += 1;
    } while (e < 0);
    let f = 0;
    for (let i = n; i > 0; i--) f = f * 2 + (i % 2);
    tl.store(out + tl.arange(0, 8), tl.where(tl.arange(0, 8) === 0, a, tl.where(tl.arange(0, 8) === 1, b, tl.where(tl.arange(0, 8) === 2, c, tl.where(tl.arange(0, 8) === 3, d, tl.where(tl.arange(0, 8) === 4, e, f))))));
  });

  test('counted, for-of, while and do-while loops, with carried variables', () => {
    for (const n of [0, 1, 7, 12]) {
      const out = empty([8], 'i32');
      loops([1], out, n);
      let [a, b, c, d, f] = [0, 0, 0, 0, 0];
      for (let i = 0; i < n; i++) a += i;
      for (let i = 2; i <= n; i += 3) b += i;
      for (let i = 1; i < n; i += 2) c += i * i;
      for (let k = n; k > 0; k -= 2) d += k;
      for (let i = n; i > 0; i--) f = f * 2 + (i % 2);
      expect(nums(out).slice(0, 6), `n = ${n}`).toEqual([a, b, c, d, 1, f]);
    }
  });

  const staticLoop = kernel(function staticLoop(out: Ptr) {
    let acc = tl.zeros([4], tl.int32);
    for (const i of tl.staticRange(0, 4)) acc += tl.where(tl.arange(0, 4) === i, i * 10, 0);
    tl.store(out + tl.arange(0, 4), acc);
  });

  test('tl.staticRange loops are unrolled into straight-line code', () => {
    const out = empty([4], 'i32');
    staticLoop([1], out);
    expect(nums(out)).toEqual([0, 10, 20, 30]);
    const spec = staticLoop.definition.specialize(staticLoop.definition.bind([out]).bindings);
    expect(spec.irText()).not.toContain('scf.for');
  });

  const tileLoop = kernel(function tileLoop(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
    let acc = tl.zeros([BLOCK], tl.float32);
    for (let off = 0; off < n; off += BLOCK) {
      const offs = off + tl.arange(0, BLOCK);
      acc += tl.load(x + offs, { mask: offs < n, other: 0 });
    }
    let total = 0.0;
    if (n > 0) total = tl.sum(acc, 0);
    tl.store(out, total);
  });

  test('tiles carried through loops and branches', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const out = empty([1]);
    tileLoop([1], x, out, 11, { BLOCK: 4 });
    expect(nums(out)).toEqual([66]);
  });
});

describe('expressions', () => {
  const exprs = kernel(function exprs(out: Ptr, a: i32, b: i32, flag: boolean) {
    const r = tl.arange(0, 16);
    const v = tl.where(r === 0, a > b ? a : b, 0) + tl.where(r === 1, (a > 0 && b > 0) || flag ? 1 : 0, 0) + tl.where(r === 2, !(a > b) ? 1 : 0, 0) + tl.where(r === 3, ~a, 0) + tl.where(r === 4, -a, 0) + tl.where(r === 5, a >> 1, 0) + tl.where(r === 6, a >>> 28, 0) + tl.where(r === 7, a << 3, 0) + tl.where(r === 8, a % 7, 0) + tl.where(r === 9, tl.floordiv(a, 7), 0) + tl.where(r === 10, tl.cdiv(a, 4), 0) + tl.where(r === 11, a ^ b, 0) + tl.where(r === 12, a | b, 0) + tl.where(r === 13, a & b, 0) + tl.where(r === 14, (a / b) * 1000, 0);
    tl.store(out + r, v);
  });

  test('operators on run-time integers follow C semantics (as Triton)', () => {
    for (const [a, b] of [[-23, 5], [23, -5], [100, 3], [-1, 1]] as const) {
      const out = empty([16], 'i32');
      exprs([1], out, a, b, false);
      const want = [Math.max(a, b), (a > 0 && b > 0) ? 1 : 0, a > b ? 0 : 1, ~a, -a, a >> 1, a >>> 28, a << 3, a % 7, Math.trunc(a / 7) | 0, Math.trunc((a + 3) / 4) | 0, a ^ b, a | b, a & b, Math.trunc(Math.fround(Math.fround(a / b) * 1000))];
      expect(nums(out).slice(0, 15), `${a}, ${b}`).toEqual(want);
    }
  });

  const constexprMath = kernel(function constexprMath(out: Ptr, N: constexpr) {
    const HALF = N >> 1;
    const LOG = Math.log2(N);
    const r = tl.arange(0, HALF);
    tl.store(out + r, r * LOG + Math.max(N, 3) + `${N}`.length);
  });

  test('constexpr arithmetic and Math functions are evaluated at compile time', () => {
    const out = empty([4], 'i32');
    constexprMath([1], out, { N: 8 });
    expect(nums(out)).toEqual([9, 12, 15, 18]);
  });

  const defaults = kernel(function withDefaults(out: Ptr, v: f32, SCALE: constexpr = 2.5, FLAG: constexpr<boolean> = true) {
    tl.store(out, FLAG ? v * SCALE : v);
  });

  test('constexpr defaults, overridable by name', () => {
    const out = empty([1]);
    defaults([1], out, 2);
    expect(nums(out)).toEqual([5]);
    defaults([1], out, 2, { FLAG: false });
    expect(nums(out)).toEqual([2]);
  });

  test('grids given as functions of the launch values', () => {
    const out = tensor(new Array(10).fill(-5), { dtype: 'i32' });
    earlyReturnGrid((meta) => [Math.ceil((meta.n as number) / (meta.BLOCK as number))], out, 10, { BLOCK: 4 });
    expect(nums(out)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

const earlyReturnGrid = kernel(function gridded(out: Ptr, n: i32, BLOCK: constexpr) {
  const offs = tl.programId(0) * BLOCK + tl.arange(0, BLOCK);
  tl.store(out + offs, offs, { mask: offs < n });
});

describe('helpers', () => {
  const useHelpers = kernel(function useHelpers(x: Ptr, out: Ptr, BLOCK: constexpr) {
    const r = tl.arange(0, BLOCK);
    const v = tl.load(x + r);
    const [s, q] = sumAndMax(v);
    tl.store(out + r, cube(v) + s + q + sumOfSquares(v, BLOCK));
  });

  test('helpers from this file and imported ones are inlined, tuples destructure', () => {
    const x = tensor([1, 2, 3, 4]);
    const out = empty([4]);
    useHelpers([1], x, out, { BLOCK: 4 });
    expect(nums(out)).toEqual([1, 8, 27, 64].map((c) => c + 10 + 4 + 30));
    const spec = useHelpers.definition.specialize(useHelpers.definition.bind([x, out, { BLOCK: 4 }]).bindings);
    expect(spec.irText()).not.toContain('tt.call');
  });

  const customReduce = kernel(function customReduce(x: Ptr, out: Ptr, BLOCK: constexpr) {
    const r = tl.arange(0, BLOCK);
    const v = tl.load(x + r);
    tl.store(out, tl.reduce(v, 0, absMax));
    tl.store(out + 1 + r, tl.associativeScan(v, 0, mul));
    const [m, i] = tl.reduce([v, r], 0, maxWithIndex);
    tl.store(out + 1 + BLOCK, m + i * 1000);
  });

  test('tl.reduce and tl.associativeScan with combine functions', () => {
    const x = tensor([2, -7, 3, 1.5]);
    const out = empty([6]);
    customReduce([1], x, out, { BLOCK: 4 });
    expect(nums(out)).toEqual([7, 2, -14, -42, -63, 3 + 2000]);
  });
});

function sumAndMax(v: number): [number, number] {
  return [tl.sum(v, 0), tl.max(v, 0)];
}

function absMax(a: number, b: number) {
  return tl.maximum(tl.abs(a), tl.abs(b));
}

function mul(a: number, b: number) {
  return a * b;
}

function maxWithIndex(v1: number, i1: number, v2: number, i2: number): [number, number] {
  const take = v1 > v2;
  return [tl.where(take, v1, v2), tl.where(take, i1, i2)];
}
