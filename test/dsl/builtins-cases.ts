// Cases for tiles as objects (dtype, shape and the method forms), Math.max and Math.min on run-time values, and
// the library functions kt adds for Triton's (flip, cat, interleave, gather, sort, histogram, log1p, sqrtRn, divRn,
// swizzle2d, assume, debugBarrier): each launches a kernel through a tier's Launch and checks the outputs against
// a reference computed here, independently of kt, as NumPy computes it. builtins-conformance.test.ts runs them on
// the interpreter, test/gpu/builtins.test.ts on the GPU (where each must also agree with the interpreter).
import { Random, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import * as np from '../conformance/numpy.ts';
import type { NdArray, NpDType, Scalar, TritonDType } from '../conformance/numpy.ts';
import type { Launch } from '../conformance/suite.ts';
import { binary, unary } from '../gpu/op-kernels.ts';

export interface BuiltinCase {
  readonly name: string;
  readonly run: (launch: Launch) => void;
}

// ---- kernels -------------------------------------------------------------------------------------------------------

/** OP of an [M, N] tile, through the method forms (and Math.max / Math.min), stored flat in out's dtype. */
export const tileMethods = kernel(function tileMethods(x: Ptr, out: Ptr, M: constexpr, N: constexpr, OP: constexpr<string>) {
  const v = tl.load(x + tl.arange(0, M).expandDims(1) * N + tl.arange(0, N).expandDims(0));
  let r = v;
  if (OP === 'T') r = v.T;
  else if (OP === 'trans') r = v.trans();
  else if (OP === 'permute') r = v.permute([1, 0]);
  else if (OP === 'reshape') r = v.reshape(N, M);
  else if (OP === 'broadcastTo') r = v.expandDims(0).broadcastTo(2, M, N);
  else if (OP === 'ravel') r = v.ravel();
  else if (OP === 'split') {
    const [even, odd] = v.reshape([M, N / 2, 2]).split();
    r = tl.join(odd, even).reshape(M, N);
  } else if (OP === 'sum') r = v.sum(1);
  else if (OP === 'max') r = v.max(0);
  else if (OP === 'min') r = v.min({ axis: 1, keepDims: true });
  else if (OP === 'maxIndex') r = v.max({ axis: 1, returnIndices: true })[1];
  else if (OP === 'argmin') r = v.argmin(0);
  else if (OP === 'cumsum') r = v.cumsum(1);
  else if (OP === 'cumprod') r = v.cumprod({ axis: 0, reverse: true });
  else if (OP === 'flip') r = v.flip(0);
  else if (OP === 'sort') r = v.sort(1, true);
  else if (OP === 'gather') r = v.gather((N - 1 - tl.arange(0, N)).expandDims(0).broadcastTo([M, N]), 1);
  else if (OP === 'cast') r = v.cast(tl.float32).to(v.dtype);
  else if (OP === 'mathMax') r = Math.max(v, 2, v.T.T);
  else if (OP === 'mathMin') r = Math.min(v, -2);
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(out + tl.arange(0, r.numel), r.reshape(r.numel).to(out.dtype.elementTy));
});

/** Compile-time members, stored as i32: shape, numel, dtype properties, a pointer's element type. */
export const memberValues = kernel(function memberValues(x: Ptr, out: Ptr, M: constexpr, N: constexpr) {
  const v = tl.load(x + tl.arange(0, M).expandDims(1) * N + tl.arange(0, N).expandDims(0));
  const mask = v < 0;
  tl.store(out, v.shape[0]);
  tl.store(out + 1, v.shape[1]);
  tl.store(out + 2, v.shape.length);
  tl.store(out + 3, v.numel);
  tl.store(out + 4, v.dtype.bits);
  tl.store(out + 5, v.dtype.isFloat);
  tl.store(out + 6, x.dtype.elementTy === v.dtype);
  tl.store(out + 7, v.T.shape[0]);
  tl.store(out + 8, mask.dtype.bits);
  tl.store(out + 9, tl.zeros([4], v.dtype).dtype === v.dtype);
  tl.store(out + 10, tl.sum(v, 0).shape[0]);
});

/** src [M, N] gathered along AXIS at index (of any integer dtype) [M, K] or [K, N]. */
export const gatherAny = kernel(function gatherAny(src: Ptr, index: Ptr, out: Ptr, M: constexpr, N: constexpr, K: constexpr, AXIS: constexpr) {
  const s = tl.load(src + tl.arange(0, M).expandDims(1) * N + tl.arange(0, N).expandDims(0));
  const [rows, cols] = AXIS === 0 ? [K, N] : [M, K];
  const offs = tl.arange(0, rows).expandDims(1) * cols + tl.arange(0, cols).expandDims(0);
  tl.store(out + offs, tl.gather(s, tl.load(index + offs), AXIS));
});

/** A [A, B, C] tile sorted along DIM. */
export const sortAny = kernel(function sortAny(x: Ptr, z: Ptr, A: constexpr, B: constexpr, C: constexpr, DIM: constexpr, DESCENDING: constexpr<boolean>) {
  const offs = tl.arange(0, A).expandDims([1, 2]) * B * C + tl.arange(0, B).expandDims(0).expandDims(2) * C + tl.arange(0, C).expandDims([0, 1]);
  tl.store(z + offs, tl.sort(tl.load(x + offs), DIM, DESCENDING));
});

/** The histogram of x (any integer dtype) where x is not 3. */
export const histogramMasked = kernel(function histogramMasked(x: Ptr, z: Ptr, M: constexpr, N: constexpr) {
  const v = tl.load(x + tl.arange(0, M));
  tl.store(z + tl.arange(0, N), v.histogram(N, { mask: v !== 3 }));
});

/** cat of two [M, N] tiles of different dtypes (promoted) along 0, and their interleaving along the last dimension. */
export const catInterleave = kernel(function catInterleave(a: Ptr, b: Ptr, catOut: Ptr, mixOut: Ptr, M: constexpr, N: constexpr) {
  const offs = tl.arange(0, M).expandDims(1) * N + tl.arange(0, N).expandDims(0);
  const [x, y] = [tl.load(a + offs), tl.load(b + offs)];
  tl.store(catOut + tl.arange(0, 2 * M * N), tl.cat(x, y).reshape(2 * M * N));
  tl.store(mixOut + tl.arange(0, 2 * M * N), tl.interleave(x, y).reshape(2 * M * N));
});

/** swizzle2d of every (i, j) of the grid, as tiles; and of (I, J) on compile-time integers (evaluated while compiling). */
export const swizzleBoth = kernel(function swizzleBoth(out: Ptr, I: constexpr, J: constexpr, SIZE_I: constexpr, SIZE_J: constexpr, SIZE_G: constexpr) {
  const ij = tl.arange(0, 64);
  const [ri, rj] = tl.swizzle2d(tl.floordiv(ij, SIZE_J), ij % SIZE_J, SIZE_I, SIZE_J, SIZE_G);
  const valid = ij < SIZE_I * SIZE_J;
  tl.store(out + ij * 2, ri, { mask: valid });
  tl.store(out + ij * 2 + 1, rj, { mask: valid });
  const [ci, cj] = tl.swizzle2d(I, J, SIZE_I, SIZE_J, SIZE_G);
  // Compile-time arguments give compile-time indices (staticAssert refuses run-time conditions).
  tl.staticAssert(ci >= 0 && cj >= 0);
  tl.store(out + 2 * SIZE_I * SIZE_J + tl.arange(0, 2), tl.where(tl.arange(0, 2) === 0, ci, cj));
});

/** Promises checked by the interpreter, then a plain computation. */
export const assumeKernel = kernel(function assumeKernel(x: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  tl.assume(n > 0);
  const offs = tl.arange(0, BLOCK);
  const v = tl.load(x + offs, { mask: offs < n, other: 0 });
  tl.assume(v >= 0);
  tl.store(out + offs, v * 2, { mask: offs < n });
});

/** Each lane stores its element, then reads the one another lane stored: ordered by a barrier (when BARRIER). */
export const barrierSwap = kernel(function barrierSwap(x: Ptr, scratch: Ptr, out: Ptr, BLOCK: constexpr, BARRIER: constexpr<boolean>) {
  const offs = tl.arange(0, BLOCK);
  tl.store(scratch + offs, tl.load(x + offs) + 1);
  if (BARRIER) tl.debugBarrier();
  tl.store(out + offs, tl.load(scratch + BLOCK - 1 - offs));
});

// ---- references ----------------------------------------------------------------------------------------------------

const rows = (a: NdArray): Scalar[][] => {
  const n = a.shape[a.shape.length - 1]!;
  return Array.from({ length: a.data.length / n }, (_, r) => a.data.slice(r * n, (r + 1) * n));
};

/** NumPy's sort order: numbers ascending, NaN last. */
function compareNumpy(p: Scalar, q: Scalar): number {
  const [pn, qn] = [Number.isNaN(p as number), Number.isNaN(q as number)];
  if (pn || qn) return pn === qn ? 0 : pn ? 1 : -1;
  return p < q ? -1 : p > q ? 1 : 0;
}

/** np.sort along `axis` (descending: the ascending order reversed, so NaN comes first). */
export function sortRef(a: NdArray, axis: number, descending: boolean): NdArray {
  const rank = a.shape.length;
  // Move the axis last, sort the rows, move it back.
  const perm = [...Array(rank).keys()].filter((d) => d !== axis).concat(axis);
  const moved = permute(a, perm);
  const sorted = rows(moved).flatMap((r) => {
    const s = [...r].sort(compareNumpy);
    return descending ? s.reverse() : s;
  });
  const inverse = perm.map((_, i) => perm.indexOf(i));
  return permute({ ...moved, data: sorted }, inverse);
}

/** np.transpose(a, perm). */
function permute(a: NdArray, perm: readonly number[]): NdArray {
  const shape = perm.map((p) => a.shape[p]!);
  const strides = a.shape.map((_, d) => a.shape.slice(d + 1).reduce((x, y) => x * y, 1));
  const data = Array.from({ length: a.data.length }, (_, o) => {
    let rest = o;
    let at = 0;
    for (let i = shape.length - 1; i >= 0; i--) {
      at += (rest % shape[i]!) * strides[perm[i]!]!;
      rest = Math.floor(rest / shape[i]!);
    }
    return a.data[at]!;
  });
  return { dtype: a.dtype, shape, data };
}

const flat = (a: NdArray): NdArray => ({ ...a, shape: [a.data.length] });

/** The reference of tileMethods' OP on x, in x's dtype (indices as int32). */
function methodRef(op: string, x: NdArray): NdArray {
  const [m, n] = x.shape as [number, number];
  const asX = (a: NdArray): NdArray => np.astype(a, x.dtype);
  switch (op) {
    case 'T':
    case 'trans':
    case 'permute':
      return np.transpose(x);
    case 'reshape':
    case 'ravel':
      return x;
    case 'broadcastTo':
      return { ...x, data: [...x.data, ...x.data] };
    case 'split':
      return { ...x, data: x.data.map((_, i) => x.data[i ^ 1]!) };
    case 'sum':
      return asX(np.sum(x, 1));
    case 'max':
      return np.max(x, 0);
    case 'min':
      return np.min(x, 1);
    case 'maxIndex':
      return np.astype(np.argmax(x, 1), 'int32');
    case 'argmin':
      return np.astype(np.argmin(x, 0), 'int32');
    case 'cumsum':
      return asX(np.cumulative(x, 1, 'sum'));
    case 'cumprod':
      return asX(np.flip(np.cumulative(np.flip(x, 0), 0, 'prod'), 0));
    case 'flip':
      return np.flip(x, 0);
    case 'sort':
      return sortRef(x, 1, true);
    case 'gather':
      return np.flip(x, 1);
    case 'cast':
      return asX(np.astype(x, 'float32'));
    case 'mathMax':
      return { ...x, data: x.data.map((v) => (v > 2 ? v : typeof v === 'bigint' ? 2n : 2)) };
    case 'mathMin':
      return { ...x, data: x.data.map((v) => (v < -2 ? v : typeof v === 'bigint' ? -2n : -2)) };
  }
  throw new Error(`no reference for ${op} (${m}x${n})`);
}

/** Results that sum or multiply floats: kt accumulates f16 and bf16 in f32 where NumPy rounds each step. */
const tolerance = (op: string, dtype: TritonDType): np.Tolerance => (['sum', 'cumsum', 'cumprod'].includes(op) && dtype === 'float16' ? { rtol: 1e-2, atol: 1e-2 } : ['sum', 'cumsum', 'cumprod'].includes(op) && np.isFloatDType(dtype) ? { rtol: 1e-5, atol: 1e-5 } : { rtol: 0, atol: 0 });

// ---- cases ---------------------------------------------------------------------------------------------------------

const methodOps = ['T', 'trans', 'permute', 'reshape', 'broadcastTo', 'ravel', 'split', 'sum', 'max', 'min', 'maxIndex', 'argmin', 'cumsum', 'cumprod', 'flip', 'sort', 'gather', 'cast', 'mathMax', 'mathMin'];
const methodDTypes: TritonDType[] = ['float32', 'float16', 'float64', 'int32', 'int8', 'uint16', 'int64'];

function methodCase(op: string, dtype: TritonDType, [m, n]: [number, number], numWarps: number): BuiltinCase {
  return {
    name: `x.${op} ${dtype} ${m}x${n} (${numWarps} warps)`,
    run: (launch) => {
      const rs = new Random(7);
      // Small values, so that sums and products of integers stay exact; no NaN (sorting NaN is checked below).
      const x = np.numpyRandom([m, n], dtype, rs, np.isUnsigned(dtype) ? 0 : -5, 6);
      const want = methodRef(op, x);
      const outDType = want.dtype as TritonDType;
      const [, out] = launch(tileMethods, [1], [np.toKt(x, dtype), empty([want.data.length], np.ktDType(outDType)), { M: m, N: n, OP: op, numWarps }]);
      np.assertAllclose(np.fromKt(out!), flat(want), tolerance(op, dtype), `x.${op}`);
    },
  };
}

const memberCase: BuiltinCase = {
  name: 'compile-time members: shape, numel, dtype properties, elementTy',
  run: (launch) => {
    const [, out] = launch(memberValues, [1], [tensor(new Array(32).fill(1), { dtype: 'f16' }), empty([11], 'i32'), { M: 4, N: 8 }]);
    np.assertEqual(np.fromKt(out!), np.array('int32', [11], [4, 8, 2, 32, 16, 1, 1, 8, 1, 1, 8]));
  },
};

const mathDTypes: TritonDType[] = ['float32', 'float64', 'float16', 'bfloat16'];

function floatMathCase(op: 'log1p' | 'sqrtRn' | 'divRn', dtype: TritonDType): BuiltinCase {
  return {
    name: `tl.${op} ${dtype}`,
    run: (launch) => {
      const rs = new Random(11);
      const n = 1000;
      const d = (dtype === 'bfloat16' ? 'float32' : dtype) as NpDType;
      // log1p: magnitudes from 1e-12 to 1e3 (where log(1 + x) would lose the small ones), above -1; and the edges.
      const special = op === 'log1p' ? [0, -0, -1, -2, Infinity, -Infinity, NaN, 1e-30, -0.5, 2 ** -24] : op === 'sqrtRn' ? [0, -0, -1, Infinity, NaN, 1e-40, 2] : [1, -0, Infinity, NaN, 3, 1e-30, 7];
      const values = Array.from({ length: n }, (_, i) => {
        if (i < special.length) return special[i]!;
        if (op === 'log1p') return Math.max(-0.999, (rs.next() < 0.5 ? -1 : 1) * 10 ** (rs.next() * 15 - 12));
        return op === 'sqrtRn' ? Math.abs(rs.normal()) * 10 ** (rs.next() * 6 - 3) : rs.normal() * 100;
      });
      const xs = np.array(d, [n], values.map((v) => np.roundTo(dtype as NpDType | 'bfloat16', v)));
      const ys = np.array(d, [n], Array.from({ length: n }, (_, i) => np.roundTo(dtype as NpDType | 'bfloat16', i < special.length ? [3, 7, -0, 2, Infinity, 1e30, 0][i % 7]! : rs.normal())));
      const fn = op === 'log1p' ? (a: number) => Math.log1p(a) : op === 'sqrtRn' ? (a: number) => Math.sqrt(a) : undefined;
      const want = xs.data.map((a, i) => np.roundTo(dtype as NpDType | 'bfloat16', fn ? fn(Number(a)) : Number(a) / Number(ys.data[i])));
      // log1p on the GPU is within a few ulps (of f32 for f16 and bf16, which it computes in f32); sqrt and division
      // round correctly everywhere.
      const ulps = { float32: 4e-7, float64: 1e-15, float16: 2e-3, bfloat16: 1.6e-2 } as Record<string, number>;
      const gpuTol = op === 'log1p' ? { rtol: ulps[dtype]!, atol: 0 } : undefined;
      const grid = [Math.ceil(n / 256)];
      const meta = { OP: op, BLOCK: 256 };
      const options = gpuTol ? { tol: gpuTol } : undefined;
      const outputs = op === 'divRn' ? launch(binary, grid, [np.toKt(xs, dtype), np.toKt(ys, dtype), empty([n], np.ktDType(dtype)), n, meta], options) : [undefined, ...launch(unary, grid, [np.toKt(xs, dtype), empty([n], np.ktDType(dtype)), n, meta], options)];
      const out = outputs[2];
      np.assertAllclose(np.fromKt(out!), np.array(d, [n], want), gpuTol ?? { rtol: 0, atol: 0 }, `tl.${op}`);
    },
  };
}

function gatherCase(indexDType: TritonDType, axis: number): BuiltinCase {
  return {
    name: `tl.gather along ${axis}, ${indexDType} indices, out of range taken modulo the size`,
    run: (launch) => {
      const [m, n, k] = [8, 16, 32];
      const rs = new Random(3);
      const src = np.array('float32', [m, n], Array.from({ length: m * n }, () => rs.normal()));
      const size = axis === 0 ? m : n;
      const shape = axis === 0 ? [k, n] : [m, k];
      const lo = np.isUnsigned(indexDType) ? 0 : -40;
      const index = np.numpyRandom(shape, indexDType, rs, lo, 300);
      const wrapped = (v: Scalar): number => Number(BigInt(v) & BigInt(size - 1));
      const want = index.data.map((v, o) => {
        const [i, j] = [Math.floor(o / shape[1]!), o % shape[1]!];
        return axis === 0 ? src.data[wrapped(v) * n + j]! : src.data[i * n + wrapped(v)]!;
      });
      const [, , out] = launch(gatherAny, [1], [np.toKt(src), np.toKt(index, indexDType), empty(shape, 'f32'), { M: m, N: n, K: k, AXIS: axis }]);
      np.assertEqual(np.fromKt(out!), np.array('float32', shape, want));
    },
  };
}

function sortCase(dtype: TritonDType, shape: [number, number, number], dim: number, descending: boolean, numWarps: number): BuiltinCase {
  return {
    name: `tl.sort ${dtype} ${shape.join('x')} along ${dim}${descending ? ', descending' : ''} (${numWarps} warps)`,
    run: (launch) => {
      const rs = new Random(5);
      let x = np.numpyRandom(shape, dtype, rs, np.isUnsigned(dtype) ? 0 : undefined);
      if (np.isFloatDType(dtype)) {
        // NaN, infinities and repeated values among the numbers.
        const specials = [NaN, Infinity, -Infinity, 0, 1.5, 1.5, NaN];
        x = { ...x, data: x.data.map((v, i) => (i % 5 === 0 ? specials[(i / 5) % specials.length]! : v)) };
      }
      const [, out] = launch(sortAny, [1], [np.toKt(x, dtype), empty(shape, np.ktDType(dtype)), { A: shape[0], B: shape[1], C: shape[2], DIM: dim, DESCENDING: descending, numWarps }]);
      np.assertEqual(np.fromKt(out!), sortRef(x, dim, descending));
    },
  };
}

function histogramCase(dtype: TritonDType, m: number, n: number): BuiltinCase {
  return {
    name: `tl.histogram of ${dtype}, ${m} values in ${n} bins, masked, out-of-range values not counted`,
    run: (launch) => {
      const rs = new Random(9);
      const big = dtype === 'int64' ? [2n ** 40n + 1n, -(2n ** 40n), 2n ** 32n + 2n] : [];
      const x = np.numpyRandom([m], dtype, rs, np.isUnsigned(dtype) ? 0 : -3, n + 4);
      const data = x.data.map((v, i) => (i < big.length ? big[i]! : v));
      const counts = new Array<number>(n).fill(0);
      for (const v of data) if (v !== 3n && BigInt(v) >= 0n && BigInt(v) < BigInt(n)) counts[Number(v)]!++;
      const [, out] = launch(histogramMasked, [1], [np.toKt({ ...x, data }, dtype), empty([n], 'i32'), { M: m, N: n }]);
      np.assertEqual(np.fromKt(out!), np.array('int32', [n], counts));
    },
  };
}

const catCase: BuiltinCase = {
  name: 'tl.cat of an i32 and an f32 tile (f32, in concatenation order) and tl.interleave of them',
  run: (launch) => {
    const [m, n] = [4, 8];
    const a = np.arange('int32', 0, m * n);
    const b = np.array('float32', [m * n], Array.from({ length: m * n }, (_, i) => -i - 0.5));
    const [, , catOut, mixOut] = launch(catInterleave, [1], [np.toKt(a), np.toKt(b), empty([2 * m * n], 'f32'), empty([2 * m * n], 'f32'), { M: m, N: n }]);
    np.assertEqual(np.fromKt(catOut!), np.array('float32', [2 * m * n], [...a.data.map(Number), ...b.data]));
    np.assertEqual(np.fromKt(mixOut!), np.array('float32', [2 * m * n], a.data.flatMap((v, i) => [Number(v), b.data[i]!])));
  },
};

const swizzleCase: BuiltinCase = {
  name: 'tl.swizzle2d on compile-time and run-time indices',
  run: (launch) => {
    const [si, sj, sg] = [5, 7, 3];
    // Triton's test_swizzle2d: the grid position each (i, j) goes to, by groups of 3 rows, column by column.
    const order = [0, 3, 6, 9, 12, 15, 18, 1, 4, 7, 10, 13, 16, 19, 2, 5, 8, 11, 14, 17, 20, 21, 23, 25, 27, 29, 31, 33, 22, 24, 26, 28, 30, 32, 34];
    const target = new Array<number>(si * sj);
    order.forEach((ij, pos) => (target[ij] = pos));
    const pairs = target.flatMap((pos) => [Math.floor(pos / sj), pos % sj]);
    for (const [i, j] of [
      [0, 0],
      [2, 5],
      [3, 0],
      [4, 6],
    ]) {
      const [out] = launch(swizzleBoth, [1], [tensor(new Array(2 * si * sj + 2).fill(-1), { dtype: 'i32' }), { I: i!, J: j!, SIZE_I: si, SIZE_J: sj, SIZE_G: sg }]);
      np.assertEqual(np.fromKt(out!), np.array('int32', [2 * si * sj + 2], [...pairs, ...pairs.slice(2 * (i! * sj + j!), 2 * (i! * sj + j!) + 2)]));
    }
  },
};

const assumeCase: BuiltinCase = {
  name: 'tl.assume with promises that hold',
  run: (launch) => {
    const [, out] = launch(assumeKernel, [1], [tensor([1, 2, 3, 4, 5, 6, 7, 8], { dtype: 'i32' }), empty([8], 'i32'), 6, { BLOCK: 8 }]);
    np.assertEqual(np.array('int32', [6], Array.from(out!.toArray() as Int32Array).slice(0, 6)), np.array('int32', [6], [2, 4, 6, 8, 10, 12]));
  },
};

const barrierCase: BuiltinCase = {
  name: 'tl.debugBarrier orders lanes that exchange through global memory',
  run: (launch) => {
    const [, , out] = launch(barrierSwap, [1], [tensor(Array.from({ length: 64 }, (_, i) => i)), empty([64]), empty([64]), { BLOCK: 64, BARRIER: true }]);
    np.assertEqual(np.fromKt(out!), np.array('float32', [64], Array.from({ length: 64 }, (_, i) => 64 - i)));
  },
};

export function builtinCases(): BuiltinCase[] {
  const cases: BuiltinCase[] = [memberCase, catCase, swizzleCase, assumeCase, barrierCase];
  // (Math.min(x, -2) of unsigned x is refused: a negative literal does not meet an unsigned tile.)
  for (const op of methodOps) for (const dtype of methodDTypes) if (!(op === 'mathMin' && np.isUnsigned(dtype))) cases.push(methodCase(op, dtype, [4, 16], 4));
  for (const op of ['T', 'reshape', 'split', 'sum', 'maxIndex', 'cumsum', 'flip', 'sort', 'gather']) cases.push(methodCase(op, 'float32', [32, 64], 8));
  for (const op of ['log1p', 'sqrtRn', 'divRn'] as const) for (const dtype of mathDTypes) cases.push(floatMathCase(op, dtype));
  for (const dtype of ['int8', 'uint8', 'int32', 'int64'] as TritonDType[]) for (const axis of [0, 1]) cases.push(gatherCase(dtype, axis));
  for (const dtype of ['float32', 'float16', 'float64', 'int32', 'uint32', 'int8', 'int64'] as TritonDType[]) cases.push(sortCase(dtype, [2, 4, 64], 2, false, 4));
  for (const dim of [0, 1]) for (const descending of [false, true]) cases.push(sortCase('float32', [16, 8, 2], dim, descending, 2));
  cases.push(sortCase('bfloat16', [1, 1, 1024], 2, true, 8), sortCase('int32', [4, 1, 1], 0, false, 1));
  for (const dtype of ['int32', 'int64', 'uint8', 'int16'] as TritonDType[]) cases.push(histogramCase(dtype, 512, 16));
  cases.push(histogramCase('int32', 64, 256));
  return cases;
}
