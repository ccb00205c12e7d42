// Cases where kt once computed something other than what the kernel says, or where its tiers disagreed. Each
// runs on the GPU (the simulator in CI) and on the interpreter, which must agree with each other, and the
// result is checked against the value Triton's semantics give, computed here in plain TypeScript.
import { describe, expect, test } from 'vitest';
import { Random, empty, kernel, tensor, tl, type DType, type Ptr, type Tensor, type constexpr, type i32, type i64 } from 'kt';
import { gpuMatchesInterpreter, gpuPresent } from './harness.ts';

const rng = new Random(17);

// ---- scans with non-commutative and tuple combines (Triton's test_scan2d) ------------------------------------

function getFirst(a: number, _b: number) {
  return a;
}

/** x_i = a_i * x_{i-1} + b_i, as a scan of (a, b) pairs. */
function linearRecurrence(a1: number, b1: number, a2: number, b2: number) {
  return [a1 * a2, b1 * a2 + b2];
}

/** Shifts a tile by one along the axis (the first element becomes 0), as a scan of triples. */
function roll(a1: number, b1Last: number, b1Cur: number, a2: number, b2Last: number, b2Cur: number) {
  return [a1 + a2, tl.where(a2 === 1, b1Cur, 0) + b2Last, b2Cur];
}

/** The running maximum and where it was first reached. */
function cummax(v0: number, i0: number, v1: number, i1: number) {
  const gt = v0 > v1;
  return [tl.where(gt, v0, v1), tl.where(gt, i0, i1)];
}

const scanTuple = kernel(function scanTuple(x: Ptr, y: Ptr, z: Ptr, OP: constexpr<string>, AXIS: constexpr, REVERSE: constexpr<boolean>, BM: constexpr, BN: constexpr) {
  const offs = tl.expandDims(tl.arange(0, BM), 1) * BN + tl.expandDims(tl.arange(0, BN), 0);
  const a = tl.load(x + offs);
  const b = tl.load(y + offs);
  let r = a;
  if (OP === 'first') r = tl.associativeScan(a, AXIS, getFirst, { reverse: REVERSE });
  else if (OP === 'linear') r = tl.associativeScan([a, b], AXIS, linearRecurrence, { reverse: REVERSE })[1]!;
  else if (OP === 'roll') r = tl.associativeScan([1 + 0 * a, 0 * a, a], AXIS, roll, { reverse: REVERSE })[1]!;
  else if (OP === 'cummax') {
    const idx = tl.broadcastTo(AXIS === 0 ? tl.expandDims(tl.arange(0, BM), 1) : tl.expandDims(tl.arange(0, BN), 0), [BM, BN]);
    r = tl.associativeScan([a, idx], AXIS, cummax, { reverse: REVERSE })[1]!;
  } else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(z + offs, r);
});

/** Triton's references (test_scan2d): a reverse scan is the forward scan of the flipped axis. */
function scanReference(op: string, x: Float64Array, y: Float64Array, m: number, n: number, axis: number, reverse: boolean): number[] {
  const out = Array<number>(m * n).fill(0);
  const len = axis === 0 ? m : n;
  const lines = axis === 0 ? n : m;
  for (let line = 0; line < lines; line++) {
    const at = (i: number): number => {
      const k = reverse ? len - 1 - i : i;
      return axis === 0 ? k * n + line : line * n + k;
    };
    let acc = 0;
    let best = 0;
    let bestAt = 0;
    for (let i = 0; i < len; i++) {
      const p = at(i);
      if (op === 'first') out[p] = x[at(0)]!;
      else if (op === 'linear') out[p] = acc = acc * x[p]! + y[p]!;
      else if (op === 'roll') out[p] = i === 0 ? 0 : x[at(i - 1)]!;
      else if (op === 'cummax') {
        // cummax keeps the later index on ties (v0 > v1 is strict), in scan order.
        if (i === 0 || x[p]! >= best) [best, bestAt] = [x[p]!, reverse ? len - 1 - i : i];
        out[p] = bestAt;
      }
    }
  }
  return out;
}

function expectValues(got: Tensor, want: readonly number[], tol = 0): void {
  const g = Array.from(got.toArray() as ArrayLike<number>, Number);
  const bad = g.flatMap((v, i) => (Math.abs(v - want[i]!) > tol * Math.max(1, Math.abs(want[i]!)) ? [`[${i}] ${v}, want ${want[i]}`] : []));
  expect(bad.slice(0, 8), `${bad.length} of ${g.length} differ`).toEqual([]);
}

describe.skipIf(!gpuPresent)('scans with non-commutative and tuple combines, forward and reverse', () => {
  const shapes: [number, number, number][] = [
    [16, 32, 4],
    [32, 16, 16],
    [32, 32, 8],
    [8, 64, 1],
    [64, 8, 2],
    [128, 4, 4],
  ];
  for (const op of ['first', 'linear', 'roll', 'cummax']) {
    for (const [m, n, numWarps] of shapes) {
      for (const axis of [0, 1]) {
        for (const reverse of [false, true]) {
          test(`${op} ${m}x${n} axis ${axis}${reverse ? ' reverse' : ''} numWarps=${numWarps}`, () => {
            // Small integers (-1, 0, 1 for the recurrence) keep every value exact in f32 and i32.
            const dtype = op === 'linear' || op === 'cummax' ? 'i32' : 'f32';
            const draw = (): number => (op === 'linear' ? Math.floor(rng.next() * 3) - 1 : op === 'cummax' ? Math.floor(rng.next() * 9) : Math.round(rng.normal() * 100) / 4);
            const xs = Float64Array.from({ length: m * n }, draw);
            const ys = Float64Array.from({ length: m * n }, draw);
            const [, , z] = gpuMatchesInterpreter(scanTuple, [1], [tensor(Array.from(xs), { dtype }), tensor(Array.from(ys), { dtype }), empty([m * n], dtype), { OP: op, AXIS: axis, REVERSE: reverse, BM: m, BN: n, numWarps }]);
            expectValues(z!, scanReference(op, xs, ys, m, n, axis, reverse));
          });
        }
      }
    }
  }
});

// ---- 16-bit float reductions accumulate in f32 ---------------------------------------------------------------

const narrowReductions = kernel(function narrowReductions(sumOut: Ptr, cumsumOut: Ptr, cumprodOut: Ptr, x: Ptr, DT: constexpr<DType>) {
  tl.store(sumOut, tl.sum(tl.full([32, 32], 1, DT)));
  const offs = tl.arange(0, 1024);
  tl.store(cumsumOut + offs, tl.cumsum(tl.full([1024], 1, DT), 0));
  tl.store(cumprodOut + offs, tl.cumprod(tl.load(x + offs), 0));
});

describe.skipIf(!gpuPresent)('sum, cumsum and cumprod of 16-bit floats', () => {
  for (const [dtype, scanOut] of [['bf16', 'f32'], ['f16', 'f16']] as const) {
    test(`${dtype}: accumulate in f32; the results have Triton's dtypes`, () => {
      // Factors near 1 whose running product stays in range; the reference is the f32 product, rounded once.
      const factors = Array.from({ length: 1024 }, () => 1 + (rng.next() - 0.5) / 64);
      const x = tensor(factors, { dtype });
      const exact = Array.from(x.toArray() as ArrayLike<number>);
      const [sum, cumsum, cumprod] = gpuMatchesInterpreter(narrowReductions, [1], [empty([1], dtype), empty([1024], scanOut), empty([1024], scanOut), x, { DT: dtype === 'bf16' ? tl.bfloat16 : tl.float16 }], {
        tol: { atol: 0, rtol: dtype === 'f16' ? 2e-3 : 1e-5 },
      });
      expectValues(sum!, [1024]);
      // f16 holds integers exactly up to 2048; bf16's cumsum is f32 (Triton promotes it).
      expectValues(cumsum!, Array.from({ length: 1024 }, (_, i) => i + 1));
      let p = 1;
      expectValues(
        cumprod!,
        exact.map((f) => (p = Math.fround(p * f))),
        dtype === 'f16' ? 1e-3 : 1e-5,
      );
    });
  }
});

// ---- shifts, float literals, negative steps ------------------------------------------------------------------

const shiftRight = kernel(function shiftRight(x: Ptr, y: Ptr, out: Ptr) {
  tl.store(out, tl.load(x) >> tl.load(y));
});

const floatLiterals = kernel(function floatLiterals(x: Ptr, out: Ptr) {
  const v = tl.load(x);
  tl.store(out, v * 2.0);
  tl.store(out + 1, tl.cos(3.0));
  tl.store(out + 2, v * 1e0 + 0.5e1);
});

const countDown = kernel(function countDown(out: Ptr, start: i32, end: i32, step: i32, from64: i64, to64: i64) {
  let fixed = 0;
  for (const i of tl.range(22, 18, -1)) fixed += i;
  let byTwo = 0;
  for (const i of tl.range(22, 17, -2)) byTwo += i;
  let wide = 0;
  for (const i of tl.range(from64, to64, -1)) wide += i;
  let runtime = 0;
  let trips = 0;
  for (const i of tl.range(start, end, step)) {
    runtime += i;
    trips += 1;
  }
  let unrolled = 0;
  for (const i of tl.staticRange(10, 1, -3)) unrolled += i;
  tl.store(out, fixed);
  tl.store(out + 1, byTwo);
  tl.store(out + 2, wide);
  tl.store(out + 3, runtime);
  tl.store(out + 4, trips);
  tl.store(out + 5, unrolled);
});

describe.skipIf(!gpuPresent)('what the source says', () => {
  test('>> follows the shifted value own signedness: i8 by u16 is arithmetic, i64 by u64 too', () => {
    const [, , a] = gpuMatchesInterpreter(shiftRight, [1], [tensor([-17], { dtype: 'i8' }), tensor([14], { dtype: 'u16' }), empty([1], 'u16')]);
    expectValues(a!, [65535]);
    const [, , b] = gpuMatchesInterpreter(shiftRight, [1], [tensor([-(2n ** 40n)], { dtype: 'i64' }), tensor([36n], { dtype: 'u64' }), empty([1], 'i64')]);
    expectValues(b!, [-16]);
    const [, , c] = gpuMatchesInterpreter(shiftRight, [1], [tensor([0xf0], { dtype: 'u8' }), tensor([4], { dtype: 'i16' }), empty([1], 'i16')]);
    expectValues(c!, [0x0f]);
  });

  test('a literal with a decimal point or an exponent is a float', () => {
    const [, out] = gpuMatchesInterpreter(floatLiterals, [1], [tensor([-1366754063], { dtype: 'i32' }), empty([3], 'f32')], { tol: { atol: 1e-6, rtol: 1e-6 } });
    expectValues(out!, [Math.fround(-1366754063 * 2), Math.fround(Math.cos(3)), Math.fround(-1366754063 + 5)], 1e-6);
  });

  test('tl.range counts down with a negative step, constant or run-time, 32- or 64-bit', () => {
    const cases: [number, number, number, number, number][] = [
      [22, 18, -1, 82, 4],
      [10, 0, -3, 22, 4],
      [0, 10, 3, 18, 4],
      [0, 10, -1, 0, 0],
      [5, 5, 1, 0, 0],
    ];
    for (const [start, end, step, sum, trips] of cases) {
      const [out] = gpuMatchesInterpreter(countDown, [1], [empty([6], 'i32'), start, end, step, 22n, 18n]);
      expectValues(out!, [82, 60, 82, sum, trips, 21]);
    }
  });
});
