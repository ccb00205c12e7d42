// Triton's tests of shape and ordering functions and precise math (test_core.py: test_cat, test_join,
// test_join_scalars, test_join_with_mma, test_interleave, test_interleave_scalars, test_split, test_split_to_scalar,
// test_gather, test_histogram, test_precise_math; test_standard.py: test_sort, test_flip, test_flip_inf, test_ravel,
// test_swizzle2d), ported as kt kernels with NumPy references. test_sort's topk parametrisations are not ported
// (kt has no tl.topk).
import { Random, empty, kernel, tensor, tl, type Ptr, type constexpr, type i32 } from 'kt';
import * as np from './numpy.ts';
import { type NdArray, type NpDType, type TritonDType } from './numpy.ts';
import { sampled, type Case } from './suite.ts';

// ---- kernels -------------------------------------------------------------------------------------------------------

export const catKernel = kernel(function catKernel(X: Ptr, Y: Ptr, Z: Ptr, N: constexpr) {
  const offs = tl.arange(0, N);
  const x = tl.load(X + offs);
  const y = tl.load(Y + offs);
  const z = tl.cat(x, y, { canReorder: true });
  tl.store(Z + tl.arange(0, 2 * N), z);
});

export const joinKernel = kernel(function joinKernel(X: Ptr, Y: Ptr, Z: Ptr, N: constexpr) {
  const offs = tl.arange(0, N);
  const x = tl.load(X + offs);
  const y = tl.load(Y + offs);
  const z = tl.join(x, y);
  tl.store(Z + tl.arange(0, N).expandDims(1) * 2 + tl.arange(0, 2).expandDims(0), z);
});

export const joinScalars = kernel(function joinScalars(X: Ptr, Y: Ptr, Z: Ptr) {
  const x = tl.load(X);
  const y = tl.load(Y);
  const z = tl.join(x, y);
  tl.staticAssert(z.shape.length === 1 && z.shape[0] === 2);
  tl.store(Z + tl.arange(0, 2), z);
});

export const joinWithMma = kernel(function joinWithMma(X: Ptr, Z: Ptr) {
  const x = tl.load(X + 16 * tl.arange(0, 32).expandDims(1) + tl.arange(0, 16).expandDims(0));
  const x2 = tl.join(x, 2 * x);
  const x3 = tl.reshape(x2, [32, 32]);
  const z = tl.dot(x3, x3);
  tl.store(Z + 32 * tl.arange(0, 32).expandDims(1) + tl.arange(0, 32).expandDims(0), z);
});

export const interleaveKernel = kernel(function interleaveKernel(Z: Ptr, N: constexpr) {
  const z = tl.interleave(tl.arange(0, N), tl.arange(N, 2 * N));
  tl.store(Z + tl.arange(0, 2 * N), z);
});

export const interleaveScalars = kernel(function interleaveScalars(X: i32, Y: i32, Z: Ptr) {
  const z = tl.interleave(X, Y);
  tl.staticAssert(z.shape.length === 1 && z.shape[0] === 2);
  tl.store(Z + tl.arange(0, 2), z);
});

export const splitKernel = kernel(function splitKernel(X: Ptr, Z1: Ptr, Z2: Ptr, N: constexpr) {
  const offs = tl.arange(0, N);
  const x = tl.load(X + offs);
  const x1 = tl.reshape(x, [N / 2, 2]);
  const [z1, z2] = tl.split(x1);
  tl.store(Z1 + tl.arange(0, N / 2), z1);
  tl.store(Z2 + tl.arange(0, N / 2), z2);
});

export const splitToScalar = kernel(function splitToScalar(X: Ptr, Z1: Ptr, Z2: Ptr) {
  const x = tl.load(X + tl.arange(0, 2));
  const [z1, z2] = tl.split(x);
  tl.staticAssert(z1.shape.length === 0 && z2.shape.length === 0);
  tl.store(Z1, z1);
  tl.store(Z2, z2);
});

export const gather2d = kernel(function gather2d(src: Ptr, idx: Ptr, out: Ptr, AXIS: constexpr, SRC0: constexpr, SRC1: constexpr, IDX0: constexpr, IDX1: constexpr) {
  const s = tl.load(src + tl.arange(0, SRC0).expandDims(1) * SRC1 + tl.arange(0, SRC1).expandDims(0));
  const offs = tl.arange(0, IDX0).expandDims(1) * IDX1 + tl.arange(0, IDX1).expandDims(0);
  const i = tl.load(idx + offs);
  tl.store(out + offs, tl.gather(s, i, AXIS));
});

export const gather1d = kernel(function gather1d(src: Ptr, idx: Ptr, out: Ptr, AXIS: constexpr, SRC0: constexpr, IDX0: constexpr) {
  const s = tl.load(src + tl.arange(0, SRC0));
  const i = tl.load(idx + tl.arange(0, IDX0));
  tl.store(out + tl.arange(0, IDX0), tl.gather(s, i, AXIS));
});

export const histogramKernel = kernel(function histogramKernel(xPtr: Ptr, zPtr: Ptr, M: constexpr, N: constexpr) {
  const x = tl.load(xPtr + tl.arange(0, M));
  const z = tl.histogram(x, N);
  const bias = tl.full([M, N], 1, tl.int32);
  // The histogram broadcasts like any tile.
  const biased = z + bias;
  tl.staticAssert(biased.shape[0] === M);
  tl.store(zPtr + tl.arange(0, N), z);
});

export const preciseMath = kernel(function preciseMath(X: Ptr, Y: Ptr, OUT: Ptr, OUT_REF: Ptr, OP: constexpr<string>, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const y = tl.load(Y + tl.arange(0, BLOCK));
  let prec = x;
  let ref = x;
  if (OP === 'sqrt_rn') {
    prec = tl.sqrtRn(x);
    ref = tl.sqrt(x.to(tl.float64)).to(tl.float32);
  } else {
    prec = tl.divRn(x, y);
    ref = (x.to(tl.float64) / y.to(tl.float64)).to(tl.float32);
  }
  tl.store(OUT + tl.arange(0, BLOCK), prec);
  tl.store(OUT_REF + tl.arange(0, BLOCK), ref);
});

export const sortKernel = kernel(function sortKernel(X: Ptr, Z: Ptr, M: constexpr, N: constexpr, DESCENDING: constexpr<boolean>) {
  const offs = tl.arange(0, M).expandDims(1) * N + tl.arange(0, N).expandDims(0);
  const x = tl.load(X + offs);
  const z = tl.sort(x, { descending: DESCENDING });
  tl.store(Z + offs, z);
});

export const flipKernel = kernel(function flipKernel(X: Ptr, Z: Ptr, M: constexpr, N: constexpr, K: constexpr, DIM: constexpr<number | null>) {
  const offx = tl.arange(0, M) * N * K;
  const offy = tl.arange(0, N) * K;
  const offz = tl.arange(0, K);
  const off3d = offx.expandDims([1, 2]) + offy.expandDims(0).expandDims(2) + offz.expandDims([0, 1]);
  const x = tl.load(X + off3d);
  tl.store(Z + off3d, tl.flip(x, DIM));
});

export const flipInf = kernel(function flipInf(outPtr: Ptr, xPtr: Ptr, N: constexpr) {
  const pid = tl.programId(0);
  const x = tl.load(xPtr + pid * N + tl.arange(0, N));
  const y = x.reshape([N / 2, 2]).flip(1).reshape(x.shape);
  tl.store(outPtr + pid * N + tl.arange(0, N), y);
});

export const ravelKernel = kernel(function ravelKernel(outPtr: Ptr) {
  const a = tl.reshape(tl.arange(0, 256), [32, 8]);
  tl.store(outPtr + tl.arange(0, 256), tl.ravel(a));
});

export const swizzle2dKernel = kernel(function swizzle2dKernel(output: Ptr, sizeI: i32, sizeJ: i32, sizeG: i32) {
  for (const i of tl.range(0, sizeI, 1)) {
    for (const j of tl.range(0, sizeJ, 1)) {
      const [newI, newJ] = tl.swizzle2d(i, j, sizeI, sizeJ, sizeG);
      tl.store(output + newI * sizeJ + newJ, i * sizeJ + j);
    }
  }
});

// ---- references ------------------------------------------------------------------------------------------------------

const arange = (dtype: NpDType, start: number, end: number): NdArray => np.arange(dtype, start, end);

/** np.sort along the last axis (values only; floats have no NaN here), reversed when descending. */
function sortLast(a: NdArray, descending: boolean): NdArray {
  const n = a.shape[a.shape.length - 1]!;
  const data: np.Scalar[] = [];
  for (let r = 0; r < a.data.length; r += n) {
    const row = a.data.slice(r, r + n).sort((p, q) => (p < q ? -1 : p > q ? 1 : 0));
    data.push(...(descending ? row.reverse() : row));
  }
  return { ...a, data };
}

/** torch.gather(src, axis, idx) of 1-d or 2-d arrays: out[i][j] = src[idx[i][j]][j] along axis 0. */
function gatherRef(src: NdArray, idx: NdArray, axis: number): NdArray {
  const cols = idx.shape[1] ?? 1;
  const srcCols = src.shape[1] ?? 1;
  const data = idx.data.map((k, o) => {
    const [i, j] = [Math.floor(o / cols), o % cols];
    return src.shape.length === 1 ? src.data[Number(k)]! : axis === 0 ? src.data[Number(k) * srcCols + j]! : src.data[i * srcCols + Number(k)]!;
  });
  return { dtype: src.dtype, shape: idx.shape, data };
}

/** Uniform integers in [0, high) as an int64 array (torch.randint's default dtype). */
function randint(rs: Random, high: number, shape: readonly number[]): NdArray {
  return np.array('int64', shape, Array.from({ length: np.numel(shape) }, () => BigInt(Math.floor(rs.next() * high))));
}

// ---- cases -----------------------------------------------------------------------------------------------------------

const intDTypes: TritonDType[] = ['int8', 'int16', 'int32', 'int64'];
const floatDTypes: TritonDType[] = ['float16', 'float32', 'float64'];

function catCase(dtype: TritonDType, numWarps: number): Case {
  const id = `${dtype}-${numWarps}`;
  return {
    test: 'test_cat',
    id,
    simulate: sampled(id, 3),
    run: (launch) => {
      const d = dtype as NpDType;
      const [x, y] = [arange(d, 0, 128), arange(d, -128, 0)];
      const [, , zOut] = launch(catKernel, [1], [np.toKt(x), np.toKt(y), empty([256], np.ktDType(dtype)), { N: 128, numWarps }]);
      // Triton checks the sum and that no value repeats (its cat may reorder); kt promises the concatenation's order.
      np.assertEqual(np.fromKt(zOut!), np.array(d, [256], [...x.data, ...y.data]));
    },
  };
}

const simpleCases: Case[] = [
  {
    test: 'test_join',
    id: '',
    simulate: true,
    run: (launch) => {
      const [x, y] = [arange('int32', 0, 128), arange('int32', -128, 0)];
      const [, , zOut] = launch(joinKernel, [1], [np.toKt(x), np.toKt(y), empty([128, 2], 'i32'), { N: 128 }]);
      np.assertEqual(np.fromKt(zOut!), np.array('int32', [128, 2], x.data.flatMap((v, i) => [v, y.data[i]!])));
    },
  },
  {
    test: 'test_join_scalars',
    id: '',
    simulate: true,
    run: (launch) => {
      const [, , zOut] = launch(joinScalars, [1], [tensor([42], { dtype: 'i32' }), tensor([100], { dtype: 'i32' }), empty([2], 'f32')]);
      np.assertEqual(np.fromKt(zOut!), np.array('float32', [2], [42, 100]));
    },
  },
  {
    test: 'test_join_with_mma',
    id: '',
    simulate: true,
    run: (launch) => {
      const x = np.array('float32', [32, 16], Array.from({ length: 512 }, (_, i) => i));
      const r = np.array('float32', [32, 32], x.data.flatMap((v) => [v, 2 * Number(v)]));
      const [, zOut] = launch(joinWithMma, [1], [np.toKt(x), empty([32, 32], 'f32')]);
      // torch.testing.assert_close's float32 tolerance.
      np.assertAllclose(np.fromKt(zOut!), np.matmul(r, r), { rtol: 1.3e-6, atol: 1e-5 });
    },
  },
  {
    test: 'test_interleave',
    id: '',
    simulate: true,
    run: (launch) => {
      const [zOut] = launch(interleaveKernel, [1], [empty([256], 'i32'), { N: 128 }]);
      np.assertEqual(np.fromKt(zOut!), np.array('int32', [256], Array.from({ length: 256 }, (_, i) => (i % 2 ? 128 : 0) + (i >> 1))));
    },
  },
  {
    test: 'test_interleave_scalars',
    id: '',
    simulate: true,
    run: (launch) => {
      const [zOut] = launch(interleaveScalars, [1], [10, 20, empty([2], 'f32')]);
      np.assertEqual(np.fromKt(zOut!), np.array('float32', [2], [10, 20]));
    },
  },
  {
    test: 'test_split',
    id: '',
    simulate: true,
    run: (launch) => {
      const x = arange('int32', 0, 256);
      const [, z1, z2] = launch(splitKernel, [1], [np.toKt(x), empty([128], 'i32'), empty([128], 'i32'), { N: 256 }]);
      np.assertEqual(np.fromKt(z1!), np.array('int32', [128], x.data.filter((_, i) => i % 2 === 0)));
      np.assertEqual(np.fromKt(z2!), np.array('int32', [128], x.data.filter((_, i) => i % 2 === 1)));
    },
  },
  {
    test: 'test_split_to_scalar',
    id: '',
    simulate: true,
    run: (launch) => {
      const [, z1, z2] = launch(splitToScalar, [1], [tensor([0, 1], { dtype: 'i64' }), empty([1], 'i64'), empty([1], 'i64')]);
      np.assertEqual(np.fromKt(z1!), np.array('int64', [1], [0]));
      np.assertEqual(np.fromKt(z2!), np.array('int64', [1], [1]));
    },
  },
  {
    test: 'test_flip_inf',
    id: '',
    simulate: true,
    run: (launch) => {
      const x = np.array('float32', [1, 16], Array.from({ length: 16 }, (_, i) => (i === 15 ? Infinity : i)));
      const [zOut] = launch(flipInf, [1], [empty([1, 16], 'f32'), np.toKt(x), { N: 16 }]);
      np.assertEqual(np.fromKt(zOut!), np.array('float32', [1, 16], Array.from({ length: 16 }, (_, i) => x.data[i ^ 1]!)));
    },
  },
  {
    test: 'test_ravel',
    id: '',
    simulate: true,
    run: (launch) => {
      const [out] = launch(ravelKernel, [1], [empty([256], 'i32')]);
      np.assertEqual(np.fromKt(out!), arange('int32', 0, 256));
    },
  },
  {
    test: 'test_swizzle2d',
    id: '5-7-3',
    simulate: true,
    run: (launch) => {
      const [out] = launch(swizzle2dKernel, [1], [tensor(new Array(35).fill(0), { shape: [5, 7] }), 5, 7, 3]);
      const expected = [
        [0, 3, 6, 9, 12, 15, 18],
        [1, 4, 7, 10, 13, 16, 19],
        [2, 5, 8, 11, 14, 17, 20],
        [21, 23, 25, 27, 29, 31, 33],
        [22, 24, 26, 28, 30, 32, 34],
      ];
      np.assertEqual(np.fromKt(out!), np.array('float32', [5, 7], expected.flat()));
    },
  },
];

function gatherCase(srcShape: number[], idxShape: number[], axis: number): Case {
  const id = `${srcShape.join('x')}-${idxShape.join('x')}-${axis}`;
  return {
    test: 'test_gather',
    id,
    simulate: true,
    run: (launch) => {
      const rs = new Random(17);
      const src = np.array('float32', srcShape, Array.from({ length: np.numel(srcShape) }, () => rs.normal()));
      const idx = randint(rs, srcShape[axis]!, idxShape);
      const args = [np.toKt(src), np.toKt(idx), empty(idxShape, 'f32')];
      const [, , out] =
        srcShape.length === 1
          ? launch(gather1d, [1], [...args, { AXIS: axis, SRC0: srcShape[0]!, IDX0: idxShape[0]! }])
          : launch(gather2d, [1], [...args, { AXIS: axis, SRC0: srcShape[0]!, SRC1: srcShape[1]!, IDX0: idxShape[0]!, IDX1: idxShape[1]! }]);
      np.assertEqual(np.fromKt(out!), gatherRef(src, idx, axis));
    },
  };
}

function histogramCase(m: number, n: number): Case {
  const id = `${m}-${n}`;
  return {
    test: 'test_histogram',
    id,
    simulate: true,
    run: (launch) => {
      const rs = new Random(17);
      const x = np.astype(randint(rs, n, [m]), 'int32');
      const counts = new Array<number>(n).fill(0);
      for (const v of x.data) counts[Number(v)]!++;
      const [, z] = launch(histogramKernel, [1], [np.toKt(x), empty([n], 'i32'), { M: m, N: n }]);
      np.assertEqual(np.fromKt(z!), np.array('int32', [n], counts));
    },
  };
}

function preciseMathCase(op: 'sqrt_rn' | 'div_rn'): Case {
  return {
    test: 'test_precise_math',
    id: op,
    simulate: true,
    run: (launch) => {
      const rs = new Random(17);
      const randn = (): NdArray => np.array('float32', [128], Array.from({ length: 128 }, () => Math.fround(rs.normal())));
      let [x, y] = [randn(), randn()];
      if (op === 'sqrt_rn') x = np.abs(x);
      else y = { ...y, data: y.data.map((v) => Math.fround(Number(v) + 1e-6)) };
      const [, , out, outRef] = launch(preciseMath, [1], [np.toKt(x), np.toKt(y), empty([128], 'f32'), empty([128], 'f32'), { OP: op, BLOCK: 128 }]);
      // Bitwise exact: the correctly rounded result, as the f64 computation rounded to f32 gives it.
      np.assertEqual(np.fromKt(out!), np.fromKt(outRef!));
      const want = op === 'sqrt_rn' ? x.data.map((v) => Math.fround(Math.sqrt(Number(v)))) : x.data.map((v, i) => Math.fround(Number(v) / Number(y.data[i])));
      np.assertEqual(np.fromKt(out!), np.array('float32', [128], want));
    },
  };
}

function sortCase(m: number, n: number, descending: boolean, dtype: TritonDType): Case {
  const id = `${m}-${n}-${descending ? 'True' : 'False'}-${dtype}`;
  return {
    test: 'test_sort',
    id,
    simulate: sampled(id, 4),
    run: (launch) => {
      const rs = new Random(17);
      const x = np.numpyRandom([m, n], dtype, rs);
      const [, zOut] = launch(sortKernel, [1], [np.toKt(x, dtype), empty([m, n], np.ktDType(dtype)), { M: m, N: n, DESCENDING: descending, numWarps: 8 }]);
      np.assertEqual(np.fromKt(zOut!), sortLast(x, descending));
    },
  };
}

function flipCase(shape: [number, number, number], dtype: TritonDType, dim: number | null): Case {
  const id = `${shape.join('-')}-${dtype}-${dim ?? 'None'}`;
  return {
    test: 'test_flip',
    id,
    simulate: sampled(id, 8),
    run: (launch) => {
      const rs = new Random(17);
      const x = np.numpyRandom(shape, dtype, rs);
      const [M, N, K] = shape;
      const [, zOut] = launch(flipKernel, [1], [np.toKt(x, dtype), empty(shape, np.ktDType(dtype)), { M, N, K, DIM: dim, numWarps: 8 }]);
      const d = dim === null ? 2 : dim < 0 ? dim + 3 : dim;
      np.assertEqual(np.fromKt(zOut!), np.flip(x, d));
    },
  };
}

export function shapeCases(): Case[] {
  const cases: Case[] = [];
  for (const dtype of [...intDTypes, ...floatDTypes]) for (const numWarps of [4, 8]) cases.push(catCase(dtype, numWarps));
  cases.push(...simpleCases);
  for (const [s, i, a] of [
    [[32], [64], 0],
    [[4, 4], [8, 4], 0],
    [[128, 64], [256, 64], 0],
    [[128, 64], [128, 128], 1],
  ] as [number[], number[], number][])
    cases.push(gatherCase(s, i, a));
  for (const [m, n] of [
    [2048, 2],
    [1024, 8],
    [1024, 128],
    [256, 512],
    [32, 512],
    [8, 512],
    [8, 2],
  ] as const)
    cases.push(histogramCase(m, n));
  cases.push(preciseMathCase('sqrt_rn'), preciseMathCase('div_rn'));
  for (const [m, n] of [
    [1, 512],
    [8, 64],
    [256, 16],
    [512, 8],
  ] as const)
    for (const descending of [false, true]) for (const dtype of ['int32', 'float16', 'float32', 'bfloat16'] as TritonDType[]) cases.push(sortCase(m, n, descending, dtype));
  for (const shape of [
    [1, 16, 64],
    [8, 2, 256],
    [32, 1, 2],
    [128, 8, 1],
  ] as [number, number, number][])
    for (const dtype of ['int32', 'float16', 'float32', 'bfloat16'] as TritonDType[]) for (const dim of [0, 1, 2, -2, null]) cases.push(flipCase(shape, dtype, dim));
  return cases;
}
