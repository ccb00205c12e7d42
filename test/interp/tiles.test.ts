// Tile operations on the interpreter: reductions, scans, dot, shape manipulation, creation, random numbers
// and the debugging builtins, against plain TypeScript references.
import { describe, expect, test } from 'vitest';
import { KernelRuntimeError, Random, dtypes, empty, kernel, roundBF16, roundF16, tensor, tl, type DType, type Ptr, type constexpr, type i32, type Tensor } from 'kt';
import { philox, uniform } from '../../kernels/dropout.ts';

const M = 5;
const N = 7;
const BM = 8;
const BN = 8;

function matrix(rows: number, cols: number, dtype: string, seed: number, ints = false): Tensor {
  const rng = new Random(seed);
  return tensor(Array.from({ length: rows * cols }, () => (ints ? Math.floor(rng.next() * 20) - 10 : rng.normal())), { dtype, shape: [rows, cols] });
}
const values = (t: Tensor): number[] => Array.from(t.toArray() as ArrayLike<number | bigint>, Number);

const reduce2d = kernel(function reduce2d(x: Ptr, out: Ptr, m: i32, n: i32, OP: constexpr<string>, AXIS: constexpr, BM: constexpr, BN: constexpr) {
  const rows = tl.arange(0, BM);
  const cols = tl.arange(0, BN);
  const mask = tl.expandDims(rows, 1) < m && tl.expandDims(cols, 0) < n;
  const fill = OP === 'max' || OP === 'argmax' ? -Infinity : OP === 'min' || OP === 'argmin' ? Infinity : 0;
  const v = tl.load(x + tl.expandDims(rows, 1) * n + tl.expandDims(cols, 0), { mask, other: fill });
  let r;
  if (OP === 'sum') r = tl.sum(v, AXIS);
  else if (OP === 'max') r = tl.max(v, AXIS);
  else if (OP === 'min') r = tl.min(v, AXIS);
  else if (OP === 'argmax') r = tl.argmax(v, AXIS);
  else if (OP === 'argmin') r = tl.argmin(v, AXIS);
  else if (OP === 'cumsum') r = tl.cumsum(v, AXIS);
  else r = tl.cumsum(v, AXIS, true);
  if (OP === 'cumsum' || OP === 'revcumsum') tl.store(out + tl.expandDims(rows, 1) * n + tl.expandDims(cols, 0), r, { mask });
  else if (AXIS === 0) tl.store(out + cols, r, { mask: cols < n });
  else tl.store(out + rows, r, { mask: rows < m });
});

function reference(op: string, axis: number, v: number[]): number[] {
  const at = (i: number, j: number) => v[i * N + j]!;
  const lines = axis === 0 ? N : M;
  const len = axis === 0 ? M : N;
  const get = (line: number, k: number) => (axis === 0 ? at(k, line) : at(line, k));
  const out: number[] = [];
  for (let l = 0; l < lines; l++) {
    const xs = Array.from({ length: len }, (_, k) => get(l, k));
    if (op === 'sum') out.push(xs.reduce((a, b) => Math.fround(a + b), 0));
    if (op === 'max') out.push(Math.max(...xs));
    if (op === 'min') out.push(Math.min(...xs));
    if (op === 'argmax') out.push(xs.indexOf(Math.max(...xs)));
    if (op === 'argmin') out.push(xs.indexOf(Math.min(...xs)));
  }
  return out;
}

describe('reductions', () => {
  for (const op of ['sum', 'max', 'min', 'argmax', 'argmin']) {
    for (const axis of [0, 1]) {
      test(`${op} along axis ${axis} of a masked ${M}x${N} tile`, () => {
        const x = matrix(M, N, 'f32', 1);
        const out = empty([axis === 0 ? N : M], op.startsWith('arg') ? 'i32' : 'f32');
        reduce2d([1], x, out, M, N, { OP: op, AXIS: axis, BM, BN });
        const got = values(out);
        const want = reference(op, axis, values(x));
        if (op === 'sum') want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 5));
        else expect(got).toEqual(want);
      });
    }
  }

  test('argmax ties go to the first index', () => {
    const x = tensor([1, 5, 5, 2, 5, 0, 0], { shape: [1, 7] });
    const out = empty([1], 'i32');
    const k = kernel(function argmaxRow(x: Ptr, out: Ptr) {
      tl.store(out, tl.argmax(tl.load(x + tl.arange(0, 8), { mask: tl.arange(0, 8) < 7, other: -1 }), 0));
    });
    k([1], x, out);
    expect(values(out)).toEqual([1]);
  });

  test('sum of all elements, keepDims, and integer sums widen to 32 bits', () => {
    const k = kernel(function sums(x: Ptr, out: Ptr) {
      const v = tl.load(x + tl.expandDims(tl.arange(0, 4), 1) * 4 + tl.expandDims(tl.arange(0, 4), 0));
      tl.store(out, tl.sum(v));
      const rows = tl.sum(v, 1, true);
      tl.store(out + 1 + tl.expandDims(tl.arange(0, 4), 1), rows);
    });
    const x = tensor(Array.from({ length: 16 }, () => 100), { dtype: 'i8', shape: [4, 4] });
    const out = empty([5], 'i32');
    k([1], x, out);
    expect(values(out)).toEqual([1600, 400, 400, 400, 400]);
  });

  for (const op of ['cumsum', 'revcumsum']) {
    for (const axis of [0, 1]) {
      test(`${op} along axis ${axis}`, () => {
        const x = matrix(M, N, 'i32', 2, true);
        const out = empty([M, N], 'i32');
        reduce2d([1], x, out, M, N, { OP: op, AXIS: axis, BM, BN });
        const v = values(x);
        const want = new Array(M * N).fill(0);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            const reverse = op === 'revcumsum';
            // Padding elements (other: 0) are part of the block but add nothing.
            if (axis === 0) for (let k = reverse ? i : 0; reverse ? k < M : k <= i; k++) s += v[k * N + j]!;
            else for (let k = reverse ? j : 0; reverse ? k < N : k <= j; k++) s += v[i * N + k]!;
            want[i * N + j] = s;
          }
        }
        expect(values(out)).toEqual(want);
      });
    }
  }
});

describe('dot', () => {
  const dotKernel = kernel(function dotKernel(a: Ptr, b: Ptr, c: Ptr, PRECISION: constexpr<string>, BM: constexpr, BK: constexpr, BN: constexpr) {
    const rm = tl.arange(0, BM);
    const rk = tl.arange(0, BK);
    const rn = tl.arange(0, BN);
    const at = tl.load(a + tl.expandDims(rm, 1) * BK + tl.expandDims(rk, 0));
    const bt = tl.load(b + tl.expandDims(rk, 1) * BN + tl.expandDims(rn, 0));
    const acc = tl.full([BM, BN], 1, tl.float32);
    tl.store(c + tl.expandDims(rm, 1) * BN + tl.expandDims(rn, 0), tl.dot(at, bt, PRECISION === 'int' ? null : acc, { inputPrecision: PRECISION === 'tf32' ? 'tf32' : 'ieee' }));
  });

  function ref(a: number[], b: number[], m: number, k: number, n: number, plusOne: boolean, round: (x: number) => number = Math.fround): number[] {
    const out: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = plusOne ? 1 : 0;
        for (let q = 0; q < k; q++) s = round(s + a[i * k + q]! * b[q * n + j]!);
        out.push(s);
      }
    }
    return out;
  }

  test.each(['f32', 'f16', 'bf16'])('%s operands accumulate in f32, one rounding per product, in k order', (dtype) => {
    const a = matrix(16, 8, dtype, 3);
    const b = matrix(8, 32, dtype, 4);
    const c = empty([16, 32], 'f32');
    dotKernel([1], a, b, c, { PRECISION: 'ieee', BM: 16, BK: 8, BN: 32 });
    expect(values(c)).toEqual(ref(values(a), values(b), 16, 8, 32, true));
  });

  test('tf32 input precision drops the low 13 mantissa bits of f32 operands first, as the tensor cores do', () => {
    const a = matrix(4, 8, 'f32', 5);
    const b = matrix(8, 4, 'f32', 6);
    const c = empty([4, 4], 'f32');
    dotKernel([1], a, b, c, { PRECISION: 'tf32', BM: 4, BK: 8, BN: 4 });
    const tf32 = (x: number) => {
      const f = new Float32Array([x]);
      const u = new Uint32Array(f.buffer);
      u[0] = (u[0]! & ~0x1fff) >>> 0;
      return f[0]!;
    };
    expect(values(c)).toEqual(ref(values(a).map(tf32), values(b).map(tf32), 4, 8, 4, true));
  });

  test('i8 operands accumulate in i32', () => {
    const a = matrix(4, 16, 'i8', 7, true);
    const b = matrix(16, 4, 'i8', 8, true);
    const c = empty([4, 4], 'i32');
    dotKernel([1], a, b, c, { PRECISION: 'int', BM: 4, BK: 16, BN: 4 });
    expect(values(c)).toEqual(ref(values(a), values(b), 4, 16, 4, false, (x) => x));
  });

  const withOutDtype = kernel(function withOutDtype(a: Ptr, b: Ptr, c: Ptr, OUT: constexpr<DType>) {
    const r = tl.arange(0, 16);
    const at = tl.load(a + tl.expandDims(r, 1) * 16 + tl.expandDims(r, 0));
    const bt = tl.load(b + tl.expandDims(r, 1) * 16 + tl.expandDims(r, 0));
    tl.store(c + tl.expandDims(r, 1) * 16 + tl.expandDims(r, 0), tl.dot(at, bt, null, { outDtype: OUT }));
  });

  test('outDtype as in Triton: i8 operands accumulate in i32 and f32 ones in f32 whatever it asks; bf16 is refused', () => {
    // Sums of 16 products of up to 100 * 100 overflow i8 and f16: exact only in i32 and f32.
    const a = tensor(Array.from({ length: 256 }, (_, i) => (i % 7) * 15 - 45), { dtype: 'i8', shape: [16, 16] });
    const b = tensor(Array.from({ length: 256 }, (_, i) => (i % 5) * 20 - 40), { dtype: 'i8', shape: [16, 16] });
    const c = empty([16, 16], 'i32');
    withOutDtype([1], a, b, c, { OUT: dtypes.i8 });
    expect(values(c)).toEqual(ref(values(a), values(b), 16, 16, 16, false, (x) => x));
    const [fa, fb, fc] = [tensor(values(a).map((v) => v * 1000.5), { shape: [16, 16] }), tensor(values(b), { shape: [16, 16] }), empty([16, 16], 'f32')];
    withOutDtype([1], fa, fb, fc, { OUT: dtypes.f16 });
    expect(values(fc)).toEqual(ref(values(fa), values(fb), 16, 16, 16, false));
    expect(() => withOutDtype([1], fa, fb, fc, { OUT: dtypes.bf16 })).toThrow(/outDtype bf16 is not supported/);
  });

  const batched = kernel(function batched(a: Ptr, b: Ptr, c: Ptr, B: constexpr, M: constexpr, K: constexpr, N: constexpr) {
    const rb = tl.expandDims(tl.arange(0, B), [1, 2]);
    const rm = tl.expandDims(tl.expandDims(tl.arange(0, M), 0), 2);
    const rk2 = tl.expandDims(tl.expandDims(tl.arange(0, K), 0), 2);
    const rk = tl.expandDims(tl.arange(0, K), [0, 1]);
    const rn = tl.expandDims(tl.arange(0, N), [0, 1]);
    const at = tl.load(a + rb * M * K + rm * K + rk);
    const bt = tl.load(b + rb * K * N + rk2 * N + rn);
    const offs = rb * M * N + rm * N + rn;
    tl.store(c + offs, tl.dot(at, bt, tl.load(c + offs)));
  });

  test('3-D tiles: a batch of dots, each added to its slice of the accumulator in k order', () => {
    const [B, M, K, N] = [4, 8, 16, 2];
    const [a, b, c] = [matrix(B * M, K, 'f32', 9), matrix(B * K, N, 'f32', 10), matrix(B * M, N, 'f32', 11)];
    const [av, bv, cv] = [values(a), values(b), values(c)];
    batched([1], a, b, c, { B, M, K, N });
    const expected: number[] = [];
    for (let i = 0; i < B; i++) {
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let s = cv[(i * M + m) * N + n]!;
          for (let k = 0; k < K; k++) s = Math.fround(s + av[(i * M + m) * K + k]! * bv[(i * K + k) * N + n]!);
          expected.push(s);
        }
      }
    }
    expect(values(c)).toEqual(expected);
    const mismatched = kernel(function mismatched(a: Ptr, c: Ptr) {
      const x = tl.load(a + tl.arange(0, 16));
      tl.store(c, tl.sum(tl.dot(tl.reshape(x, [2, 2, 4]), tl.reshape(x, [4, 4, 1]))));
    });
    expect(() => mismatched([1], matrix(4, 4, 'f32', 12), empty([1], 'f32'))).toThrow(/the batch dimensions differ/);
  });
});

describe('shapes', () => {
  const shapes = kernel(function shapes(x: Ptr, out: Ptr) {
    const r = tl.arange(0, 8);
    const v = tl.load(x + r); // [0..7]
    const m = tl.reshape(v, [2, 4]);
    const t = tl.trans(m); // [4, 2]
    tl.store(out + tl.arange(0, 8), tl.ravel(t)); // 0 4 1 5 2 6 3 7
    const j = tl.join(v, v * 10); // [8, 2]
    const [lo, hi] = tl.split(j);
    tl.store(out + 8 + r, hi - lo); // 9 * v
    const b = tl.broadcastTo(tl.expandDims(tl.arange(0, 2), 1), [2, 4]); // rows 0,0,0,0 / 1,1,1,1
    tl.store(out + 16 + tl.ravel(tl.expandDims(tl.arange(0, 2), 1) * 4 + tl.expandDims(tl.arange(0, 4), 0)), tl.ravel(b));
    const p = tl.permute(tl.reshape(v, [2, 2, 2]), [2, 0, 1]);
    tl.store(out + 24 + r, tl.ravel(p));
    tl.store(out + 32 + r, tl.zerosLike(v) + tl.full([8], 3, tl.float32) + tl.zeros([8], tl.float32));
  });

  test('reshape, trans, permute, join, split, broadcastTo, expandDims, ravel, full, zeros', () => {
    const x = tensor([0, 1, 2, 3, 4, 5, 6, 7]);
    const out = empty([40]);
    shapes([1], x, out);
    const got = values(out);
    expect(got.slice(0, 8)).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(got.slice(8, 16)).toEqual([0, 9, 18, 27, 36, 45, 54, 63]);
    expect(got.slice(16, 24)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    // permute [2,0,1] of x[i][j][k] = 4i + 2j + k gives y[k][i][j].
    expect(got.slice(24, 32)).toEqual([0, 2, 4, 6, 1, 3, 5, 7]);
    expect(got.slice(32, 40)).toEqual(new Array(8).fill(3));
  });
});

describe('random numbers', () => {
  const random = kernel(function random(out: Ptr, seed: i32, KIND: constexpr<string>) {
    const offs = tl.arange(0, 256);
    if (KIND === 'rand') tl.store(out + offs, tl.rand(seed, offs));
    else if (KIND === 'randint') tl.store(out + offs, tl.randint(seed, offs));
    else tl.store(out + offs, tl.randn(seed, offs));
  });

  test('tl.randint matches an independent Philox 4x32-10, bit for bit', () => {
    for (const seed of [0, 1234, -5]) {
      const out = empty([256], 'i32');
      random([1], out, seed, { KIND: 'randint' });
      expect(values(out)).toEqual(Array.from({ length: 256 }, (_, i) => philox(seed, i) | 0));
    }
  });

  test('tl.rand is uniform in [0, 1) and matches the reference mapping', () => {
    const out = empty([256]);
    random([1], out, 42, { KIND: 'rand' });
    const got = values(out);
    expect(got).toEqual(Array.from({ length: 256 }, (_, i) => uniform(philox(42, i))));
    expect(Math.min(...got)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...got)).toBeLessThan(1);
  });

  test('tl.randn has mean near 0 and variance near 1', () => {
    const out = empty([256]);
    random([1], out, 7, { KIND: 'randn' });
    const v = values(out);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(Math.abs(variance - 1)).toBeLessThan(0.3);
  });
});

describe('debugging builtins', () => {
  test('tl.devicePrint prints every element with the program id', () => {
    const k = kernel(function printer(x: Ptr) {
      tl.devicePrint('v = ', tl.load(x + tl.arange(0, 2)));
    });
    const lines: string[] = [];
    k.definition.specialize(k.definition.bind([tensor([1.5, -2])]).bindings).interpreted().run([1, 1, 1], [tensor([1.5, -2])], { print: (l) => lines.push(l) });
    expect(lines).toEqual(['pid (0, 0, 0) idx (0) v = 1.5', 'pid (0, 0, 0) idx (1) v = -2']);
  });

  test('tl.deviceAssert stops the kernel where the condition fails', () => {
    const k = kernel(function asserter(x: Ptr) {
      const v = tl.load(x + tl.arange(0, 4));
      tl.deviceAssert(v >= 0, 'values must be non-negative');
    });
    expect(() => k([1], tensor([1, 2, -3, 4]))).toThrow(KernelRuntimeError);
    expect(() => k([1], tensor([1, 2, -3, 4]))).toThrow(/device assertion failed in kernel 'asserter' \(program \(0, 0, 0\), tile index \[2\] of 4\): values must be non-negative/);
    expect(() => k([1], tensor([1, 2, 3, 4]))).not.toThrow();
  });

  test('tl.staticPrint prints at compile time; hints stay in the IR', () => {
    const k = kernel(function hinted(x: Ptr, n: i32, BLOCK: constexpr) {
      tl.staticPrint('BLOCK is', BLOCK);
      const offs = tl.multipleOf(tl.programId(0) * BLOCK, 16);
      tl.store(x + offs + tl.maxContiguous(tl.arange(0, BLOCK), 16), n);
    });
    const spec = k.definition.specialize(k.definition.bind([empty([32], 'i32'), 3, { BLOCK: 16 }]).bindings);
    expect(spec.ir.staticPrints).toEqual(['BLOCK is 16']);
    expect(spec.irText()).toContain('tt.divisibility = [16]');
    expect(spec.irText()).toContain('tt.contiguity = [16]');
  });
});

test('f16 and bf16 tiles round every intermediate result', () => {
  const k = kernel(function halfMath(x: Ptr, out: Ptr) {
    const r = tl.arange(0, 4);
    const v = tl.load(x + r);
    tl.store(out + r, v * v + v);
  });
  for (const [dtype, round] of [['f16', roundF16], ['bf16', roundBF16]] as const) {
    const x = tensor([1.1, 300.3, -7.77, 1000], { dtype });
    const out = empty([4], dtype);
    k([1], x, out);
    expect(values(out)).toEqual(values(x).map((v) => round(round(v * v) + v)));
  }
});
