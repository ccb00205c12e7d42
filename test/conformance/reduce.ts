// Triton's reduction and scan tests (test_core.py: test_max_returns_zero, test_reduce1d, test_reduce,
// test_sum_dtype, test_generic_reduction, test_scan2d, test_scan_1d), ported as kt kernels with NumPy references.
import { Random, empty, kernel, tensor, tl, type DType, type Ptr, type constexpr, type i32 } from 'kt';
import { dtypes as ktDTypes } from '../../src/compiler/semantic/dtype.ts';
import * as np from './numpy.ts';
import { dtypesWithBfloat16, type NdArray, type NpDType, type TritonDType } from './numpy.ts';
import { expectCompileError, sampled, type Case } from './suite.ts';

// ---- kernels -------------------------------------------------------------------------------------------------------

export const maxReturnsZero = kernel(function maxReturnsZero(X: Ptr, Z: Ptr, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  const z = tl.max(x);
  tl.store(Z, z);
});

export const reduce1d = kernel(function reduce1d(X: Ptr, Z: Ptr, OP: constexpr<string>, BLOCK: constexpr) {
  const x = tl.load(X + tl.arange(0, BLOCK));
  let z = x;
  if (OP === 'min') z = tl.min(x, { axis: 0 });
  else if (OP === 'max') z = tl.max(x, { axis: 0 });
  else if (OP === 'min-with-indices') z = tl.min(x, { axis: 0, returnIndices: true })[0];
  else if (OP === 'max-with-indices') z = tl.max(x, { axis: 0, returnIndices: true })[0];
  else if (OP === 'argmin-tie-break-left') z = tl.argmin(x, 0, { tieBreakLeft: true });
  else if (OP === 'argmax-tie-break-left') z = tl.argmax(x, 0, { tieBreakLeft: true });
  else if (OP === 'sum') z = tl.sum(x, { axis: 0 });
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(Z, z);
});

/** test_reduce's kernel: a 2-D or 3-D tile reduced along AXIS (or entirely), keeping dimensions or not. */
export const reduce = kernel(function reduce(X: Ptr, Z: Ptr, OP: constexpr<string>, BLOCK_M: constexpr, BLOCK_N: constexpr, BLOCK_K: constexpr, IS_3D: constexpr<boolean>, AXIS: constexpr<number | null>, KEEP_DIMS: constexpr<boolean>, USE_I1: constexpr<boolean>) {
  const rangeM = tl.arange(0, BLOCK_M);
  const rangeN = tl.arange(0, BLOCK_N);
  const rangeK = tl.arange(0, BLOCK_K);
  let x = IS_3D
    ? tl.load(X + tl.expandDims(rangeM, [1, 2]) * BLOCK_N * BLOCK_K + tl.expandDims(tl.expandDims(rangeN, 0), 2) * BLOCK_K + tl.expandDims(rangeK, [0, 1]))
    : tl.load(X + tl.expandDims(rangeM, 1) * BLOCK_N + tl.expandDims(rangeN, 0));
  if (USE_I1) x = tl.cast(x, tl.int1);
  let z = x;
  if (OP === 'min') z = tl.min(x, { axis: AXIS, keepDims: KEEP_DIMS });
  else if (OP === 'max') z = tl.max(x, { axis: AXIS, keepDims: KEEP_DIMS });
  else if (OP === 'sum') z = tl.sum(x, { axis: AXIS, keepDims: KEEP_DIMS });
  else if (OP === 'argmin') z = tl.argmin(x, AXIS, { keepDims: KEEP_DIMS });
  else if (OP === 'argmax') z = tl.argmax(x, AXIS, { keepDims: KEEP_DIMS });
  else if (OP === 'xor_sum') z = tl.xorSum(x, AXIS, KEEP_DIMS);
  else tl.staticAssert(false, `unknown OP ${OP}`);
  let zPtr = Z;
  if (KEEP_DIMS && AXIS === null) zPtr = tl.broadcastTo(Z, IS_3D ? [1, 1, 1] : [1, 1]);
  if (IS_3D) {
    if (AXIS === 0) zPtr = Z + tl.expandDims(rangeN, 1) * BLOCK_K + tl.expandDims(rangeK, 0);
    else if (AXIS === 1 || AXIS === -2) zPtr = Z + tl.expandDims(rangeM, 1) * BLOCK_K + tl.expandDims(rangeK, 0);
    else if (AXIS === 2 || AXIS === -1) zPtr = Z + tl.expandDims(rangeM, 1) * BLOCK_N + tl.expandDims(rangeN, 0);
  } else {
    if (AXIS === 0) zPtr = Z + rangeN;
    else if (AXIS === 1 || AXIS === -1) zPtr = Z + rangeM;
  }
  if (KEEP_DIMS && AXIS !== null) zPtr = tl.expandDims(zPtr, AXIS);
  tl.store(zPtr, z);
});

export const sumDtype = kernel(function sumDtype(outPtr: Ptr, init: i32, IN_DTYPE: constexpr<DType>, OUT_DTYPE: constexpr<DType | null>) {
  const x = tl.full([32, 32], init, IN_DTYPE);
  const s = tl.sum(x, { dtype: OUT_DTYPE });
  tl.store(outPtr, s.to(tl.int32));
});

export const sumDefaultInt = kernel(function sumDefaultInt(outPtr: Ptr) {
  const x = tl.full([32, 32], 1, tl.int1);
  tl.store(outPtr, tl.sum(x));
});

export const sumDefaultFloat = kernel(function sumDefaultFloat(outPtr: Ptr) {
  const x = tl.full([32, 32], 1.0, tl.bfloat16);
  tl.store(outPtr, tl.sum(x));
});

function welfordCombine(mean1: number, m21: number, weight1: number, mean2: number, m22: number, weight2: number) {
  const delta = mean2 - mean1;
  const newWeight = weight1 + weight2;
  const w2OverW = weight2 / newWeight;
  return [mean1 + delta * w2OverW, m21 + m22 + delta * delta * weight1 * w2OverW, newWeight];
}

export const varMean = kernel(function varMean(X: Ptr, outMean: Ptr, outVar: Ptr, BLOCK: constexpr) {
  const xindex = tl.arange(0, BLOCK);
  const x = tl.load(X + xindex);
  const m2 = tl.zerosLike(x);
  const weight = tl.full([BLOCK], 1, tl.float32);
  const [mean, m2s, weights] = tl.reduce([x, m2, weight], 0, welfordCombine);
  tl.store(outMean, mean);
  tl.store(outVar, m2s / weights);
});

function getFirstElement(a: number, _b: number) {
  return a;
}

function linearRecurrence(a1: number, b1: number, a2: number, b2: number) {
  return [a1 * a2, b1 * a2 + b2];
}

function cummax(v0: number, i0: number, v1: number, i1: number) {
  const gt = v0 > v1;
  return [tl.where(gt, v0, v1), tl.where(gt, i0, i1)];
}

function roll(a1: number, b1Last: number, b1Cur: number, a2: number, b2Last: number, b2Cur: number) {
  return [a1 + a2, tl.where(a2 === 1, b1Cur, 0) + b2Last, b2Cur];
}

export const scan2d = kernel(function scan2d(X: Ptr, Y: Ptr, Z: Ptr, OP: constexpr<string>, BLOCK_M: constexpr, BLOCK_N: constexpr, AXIS: constexpr, REVERSE: constexpr<boolean>) {
  const rangeM = tl.arange(0, BLOCK_M);
  const rangeN = tl.arange(0, BLOCK_N);
  const offs = tl.expandDims(rangeM, 1) * BLOCK_N + tl.expandDims(rangeN, 0);
  const x = tl.load(X + offs);
  const y = tl.load(Y + offs);
  let z = x;
  if (OP === 'cumsum') z = tl.cumsum(x, { axis: AXIS, reverse: REVERSE });
  else if (OP === 'cumprod') z = tl.cumprod(x, { axis: AXIS, reverse: REVERSE });
  else if (OP === 'get_first_element') z = tl.associativeScan(x, AXIS, getFirstElement, { reverse: REVERSE });
  else if (OP === 'cummax') {
    const rg = tl.broadcastTo((AXIS === 0 ? tl.expandDims(rangeM, 1) : tl.expandDims(rangeN, 0)).to(tl.int64), [BLOCK_M, BLOCK_N]);
    z = tl.associativeScan([x, rg], AXIS, cummax, { reverse: REVERSE })[1]!;
  } else if (OP === 'roll') z = tl.associativeScan([1 + 0 * x, 0 * x, x], AXIS, roll, { reverse: REVERSE })[1]!;
  else if (OP === 'linear_recurrence') z = tl.associativeScan([x, y], AXIS, linearRecurrence, { reverse: REVERSE })[1]!;
  else tl.staticAssert(false, `unknown OP ${OP}`);
  tl.store(Z + offs, z);
});

export const scan1d = kernel(function scan1d(outPtr: Ptr, inPtr: Ptr, M: constexpr, N: constexpr) {
  const input = tl.load(inPtr + tl.arange(0, M));
  const output = tl.broadcastTo(tl.reshape(tl.cumsum(input), [1, M]), [N, M]);
  tl.store(outPtr + tl.arange(0, M * N), tl.reshape(output, [M * N]));
});

// ---- test_reduce1d ---------------------------------------------------------------------------------------------------

const npReduce: Record<string, (a: NdArray, axis?: number | null, keepdims?: boolean) => NdArray> = {
  sum: np.sum,
  max: np.max,
  min: np.min,
  'max-with-indices': np.max,
  'min-with-indices': np.min,
  'argmin-tie-break-left': np.argmin,
  'argmax-tie-break-left': np.argmax,
  argmin: np.argmin,
  argmax: np.argmax,
  xor_sum: np.xorReduce,
};

/** The reference of a bf16 reduction: NumPy's float32 result with its low 16 bits cleared (Triton's "fair comparison"). */
const truncBf16 = (a: NdArray): NdArray => ({ ...a, data: a.data.map((v) => np.truncateToBf16(v as number)) });

function reduce1dCase(op: string, dtype: TritonDType, shape: number): Case {
  const id = `${op}-${dtype}-${shape}`;
  return {
    test: 'test_reduce1d',
    id,
    simulate: sampled(id, 8),
    run: (launch) => {
      const rs = new Random(17);
      let x = np.numpyRandom([shape], dtype, rs);
      const numpyOp = npReduce[op]!;
      const tieBreak = op.includes('tie-break-left');
      if (tieBreak) {
        const at = Number(numpyOp(x).data[0]);
        x = { ...x, data: x.data.map((v, i) => (i >= 3 && i < 10 ? x.data[at]! : v)) };
      }
      const zDType: TritonDType = tieBreak ? 'int32' : dtype;
      let zRef: NdArray;
      if (!tieBreak && dtype === 'bfloat16') zRef = truncBf16(np.astype(numpyOp(x), 'float32'));
      else zRef = np.astype(numpyOp(x), (zDType === 'bfloat16' ? 'float32' : zDType) as NpDType);
      const [, zOut] = launch(reduce1d, [1], [np.toKt(x, dtype), empty([1], np.ktDType(zDType)), { OP: op, BLOCK: shape }]);
      const z = np.fromKt(zOut!);
      if (op === 'sum') np.assertAllclose(z, np.reshape(zRef, [1]), { rtol: 0.01 });
      else if (tieBreak) np.assertEqual(np.array(x.dtype, [1], [x.data[Number(z.data[0])]!]), np.array(x.dtype, [1], [x.data[Number(zRef.data[0])]!]), 'the value at the index');
      else np.assertEqual(z, np.reshape(zRef, [1]));
    },
  };
}

// ---- test_reduce -------------------------------------------------------------------------------------------------------

interface ReduceConfig {
  op: string;
  dtype: TritonDType;
  shape: readonly number[];
  axis: number | null;
  keepDims: boolean;
}

function reduceConfigs(): ReduceConfig[] {
  const c: ReduceConfig[] = [];
  for (const dtype of dtypesWithBfloat16) for (const op of ['min', 'max', 'sum', 'argmin', 'argmax']) c.push({ op, dtype, shape: [1, 1024], axis: 1, keepDims: false });
  const reduce2dShapes = [
    [2, 32],
    [4, 32],
    [4, 128],
  ];
  for (const op of ['min', 'max', 'sum', 'argmin', 'argmax']) for (const shape of reduce2dShapes) for (const axis of [0, 1]) c.push({ op, dtype: 'float32', shape, axis, keepDims: false });
  for (const op of ['min', 'max', 'sum']) c.push({ op, dtype: 'float32', shape: [16, 32], axis: null, keepDims: false });
  for (const op of ['min', 'max', 'sum', 'argmin', 'argmax'])
    for (const shape of [
      [2, 32, 16],
      [32, 2, 16],
      [32, 16, 2],
    ])
      for (const axis of [0, 1, 2]) c.push({ op, dtype: 'float32', shape, axis, keepDims: false });
  for (const axis of [2, 3]) c.push({ op: 'sum', dtype: 'float32', shape: [32, 32], axis, keepDims: false });
  c.push({ op: 'sum', dtype: 'float32', shape: [32, 32], axis: -1, keepDims: false });
  for (const op of ['min', 'max', 'sum', 'argmin', 'argmax']) for (const axis of [0, 1]) c.push({ op, dtype: 'float32', shape: [32, 32], axis, keepDims: true });
  for (const op of ['min', 'max', 'sum']) c.push({ op, dtype: 'float32', shape: [32, 32], axis: null, keepDims: true });
  for (const op of ['min', 'max', 'sum', 'argmin', 'argmax']) for (const axis of [0, 1, 2]) c.push({ op, dtype: 'float32', shape: [32, 2, 16], axis, keepDims: true });
  for (const op of ['min', 'max', 'sum']) c.push({ op, dtype: 'float32', shape: [32, 2, 16], axis: null, keepDims: true });
  for (const shape of reduce2dShapes) for (const axis of [0, 1]) c.push({ op: 'xor_sum', dtype: 'bool', shape, axis, keepDims: false });
  return c;
}

function reduceCase(cfg: ReduceConfig): Case {
  const { op, dtype, shape, axis, keepDims } = cfg;
  const id = `${op}-${dtype}-(${shape.join(', ')})-${axis === null ? 'None' : axis}-${keepDims}`;
  return {
    test: 'test_reduce',
    id,
    refusal: axis !== null && axis >= shape.length,
    simulate: dtype === 'float32' || dtype === 'bool' ? sampled(id, 3) : sampled(id, 6),
    run: (launch) => {
      const rs = new Random(17);
      const x = np.numpyRandom(shape, dtype, rs);
      const is3d = shape.length === 3;
      const args = (z: unknown): unknown[] => [np.toKt(x, dtype), z, { OP: op, BLOCK_M: shape[0], BLOCK_N: shape[1], BLOCK_K: is3d ? shape[2] : 1, IS_3D: is3d, AXIS: axis, KEEP_DIMS: keepDims, USE_I1: dtype === 'bool' }];
      if (axis !== null && axis >= shape.length) {
        expectCompileError(() => launch(reduce, [1], args(empty([1], 'f32'))), /axis/);
        return;
      }
      const zDType: NpDType = op === 'argmin' || op === 'argmax' ? 'int32' : dtype === 'bool' ? 'int8' : dtype === 'bfloat16' ? 'float32' : (dtype as NpDType);
      const zTriDType: TritonDType = dtype === 'bfloat16' && zDType === 'float32' ? 'bfloat16' : zDType;
      let zRef = np.astype(npReduce[op]!(x, axis, keepDims), zDType);
      if (dtype === 'bfloat16' && zTriDType === 'bfloat16') zRef = truncBf16(zRef);
      const [, zOut] = launch(reduce, [1], args(empty(zRef.shape.length ? zRef.shape : [1], np.ktDType(zTriDType))));
      const z = np.reshape(np.fromKt(zOut!), zRef.shape);
      if (op === 'sum') np.assertAllclose(z, zRef, { rtol: 0.01 });
      else if (op === 'argmin' || op === 'argmax') {
        const ax = axis!;
        const expand = (a: NdArray): NdArray => (keepDims ? a : np.reshape(a, shape.map((d, i) => (i === (ax < 0 ? ax + shape.length : ax) ? 1 : d))));
        np.assertEqual(np.takeAlongAxis(x, expand(z), ax), np.takeAlongAxis(x, expand(zRef), ax), 'the values at the indices');
      } else np.assertEqual(z, zRef);
    },
  };
}

// ---- single cases -----------------------------------------------------------------------------------------------------------

const maxReturnsZeroCase: Case = {
  test: 'test_max_returns_zero',
  id: '1',
  simulate: true,
  run: (launch) => {
    const [, z] = launch(maxReturnsZero, [1], [tensor(new Float32Array(128)), tensor([1]), { BLOCK: 128 }]);
    np.assertEqual(np.fromKt(z!), 0);
  },
};

const sumDtypeCase: Case = {
  test: 'test_sum_dtype',
  id: '1',
  simulate: true,
  run: (launch) => {
    const run = (init: number, inDtype: DType, outDtype: DType | null): number => Number(launch(sumDtype, [1], [empty([1], 'i32'), init, { IN_DTYPE: inDtype, OUT_DTYPE: outDtype }])[0]!.toArray()[0]);
    np.assertEqual(np.array('int32', [4], [run(1, ktDTypes.i1, null), run(1, ktDTypes.i1, ktDTypes.i1), run(7, ktDTypes.i8, ktDTypes.i8), run(1, ktDTypes.i32, null)]), np.array('int32', [4], [32 * 32, 0, (7 * 32 * 32) % 256, 32 * 32]));
    np.assertEqual(np.fromKt(launch(sumDefaultInt, [1], [empty([1], 'i32')])[0]!), 32 * 32);
    np.assertEqual(np.fromKt(launch(sumDefaultFloat, [1], [empty([1], 'bf16')])[0]!), 32 * 32);
  },
};

const genericReductionCase: Case = {
  test: 'test_generic_reduction',
  id: '1',
  simulate: true,
  run: (launch) => {
    const size = 512;
    const rs = new Random(17);
    const x = np.array('float32', [size], Array.from({ length: size }, () => rs.next()));
    const [, mean, variance] = launch(varMean, [1], [np.toKt(x), empty([1], 'f32'), empty([1], 'f32'), { BLOCK: size }], { tol: { atol: 1e-6, rtol: 1e-5 } });
    const m = x.data.reduce<number>((s, v) => s + (v as number), 0) / size;
    const v = x.data.reduce<number>((s, u) => s + ((u as number) - m) ** 2, 0) / size;
    // torch.testing.assert_close's float32 tolerance.
    np.assertAllclose(np.fromKt(mean!), m, { rtol: 1.3e-6, atol: 1e-5 }, 'mean');
    np.assertAllclose(np.fromKt(variance!), v, { rtol: 1.3e-6, atol: 1e-5 }, 'variance');
  },
};

// ---- test_scan2d ----------------------------------------------------------------------------------------------------------

function scanReference(op: string, x: NdArray, y: NdArray, axisArg: number, reverse: boolean): NdArray {
  const axis = axisArg < 0 ? axisArg + 2 : axisArg;
  const [m, n] = x.shape as [number, number];
  const d = x.dtype;
  const xin = reverse ? np.flip(x, axis) : x;
  const finish = (a: NdArray): NdArray => (reverse ? np.flip(a, axis) : a);
  if (op === 'cumsum' || op === 'cumprod') return finish(np.astype(np.cumulative(xin, axis, op === 'cumsum' ? 'sum' : 'prod'), d));
  if (op === 'roll') {
    const out = xin.data.map((_, i) => {
      const [r, c] = [Math.floor(i / n), i % n];
      if (axis === 0) return r === 0 ? (typeof xin.data[i] === 'bigint' ? 0n : 0) : xin.data[(r - 1) * n + c]!;
      return c === 0 ? (typeof xin.data[i] === 'bigint' ? 0n : 0) : xin.data[r * n + c - 1]!;
    });
    return finish({ ...xin, data: out });
  }
  if (op === 'get_first_element') {
    const out = x.data.map((_, i) => {
      const [r, c] = [Math.floor(i / n), i % n];
      if (axis === 0) return x.data[(reverse ? m - 1 : 0) * n + c]!;
      return x.data[r * n + (reverse ? n - 1 : 0)]!;
    });
    return { ...x, data: out };
  }
  if (op === 'cummax') {
    // torch.cummax(...).indices: the running maximum's index, the later one on ties.
    const len = axis === 0 ? m : n;
    const out = new Array<bigint>(m * n);
    for (let line = 0; line < (axis === 0 ? n : m); line++) {
      let best: number | bigint = 0;
      let bestAt = 0;
      for (let k = 0; k < len; k++) {
        const p = axis === 0 ? k * n + line : line * n + k;
        const v = xin.data[p]!;
        if (k === 0 || v >= best) [best, bestAt] = [v, k];
        out[p] = BigInt(bestAt);
      }
    }
    const idx: NdArray = { dtype: 'int64', shape: x.shape, data: out };
    return reverse ? { ...idx, data: np.flip(idx, axis).data.map((v) => BigInt(len) - (v as bigint) - 1n) } : idx;
  }
  // linear_recurrence: acc = x_i * acc + y_i along the axis, in the dtype (NumPy scalars of it).
  const yin = reverse ? np.flip(y, axis) : y;
  const out = new Array<number | bigint>(m * n);
  for (let line = 0; line < (axis === 0 ? n : m); line++) {
    let acc: number | bigint = np.isFloatDType(d) ? 0 : 0n;
    for (let k = 0; k < (axis === 0 ? m : n); k++) {
      const p = axis === 0 ? k * n + line : line * n + k;
      if (typeof acc === 'bigint') acc = BigInt.asIntN(32, BigInt.asIntN(32, (xin.data[p] as bigint) * acc) + (yin.data[p] as bigint));
      else acc = np.roundTo(d, np.roundTo(d, (xin.data[p] as number) * acc) + (yin.data[p] as number));
      out[p] = acc;
    }
  }
  return finish({ dtype: d, shape: x.shape, data: out });
}

function scan2dCase(op: string, dtype: TritonDType, shape: readonly [number, number], axis: number, reverse: boolean, numWarps: number): Case {
  const id = `${op}-${dtype}-(${shape.join(', ')})-${axis}-${reverse}-${numWarps}`;
  return {
    test: 'test_scan2d',
    id,
    simulate: (op === 'cumsum' || op === 'cumprod') && shape[0] * shape[1] <= 1024 ? sampled(id, 12) : false,
    run: (launch) => {
      const rs = new Random(17);
      let x: NdArray;
      let y: NdArray;
      if (op === 'linear_recurrence' && dtype === 'int32') {
        const draw = (): NdArray => np.array('int32', shape, Array.from({ length: shape[0] * shape[1] }, () => Math.floor(rs.next() * 3) - 1));
        [x, y] = [draw(), draw()];
      } else {
        x = np.numpyRandom(shape, dtype, rs);
        y = np.numpyRandom(shape, dtype, rs);
      }
      const zRef = scanReference(op, x, y, axis, reverse);
      const zDType: NpDType = op === 'cummax' ? 'int64' : x.dtype;
      const [, , zOut] = launch(scan2d, [1], [np.toKt(x, dtype), np.toKt(y, dtype), empty(shape, np.ktDType(zDType)), { OP: op, BLOCK_M: shape[0], BLOCK_N: shape[1], AXIS: axis, REVERSE: reverse, numWarps }], { tol: { atol: 1e-5, rtol: 1e-5 } });
      const z = np.fromKt(zOut!);
      if (dtype !== 'int32') {
        if (op === 'cumprod') np.assertAllclose(z, zRef, { rtol: 0.01, atol: 1e-3 });
        else np.assertAllclose(z, op === 'cummax' ? zRef : np.astype(zRef, zDType), { rtol: 0.01 });
      } else np.assertEqual(z, np.astype(zRef, zDType));
    },
  };
}

function scan2dCases(): Case[] {
  const shapes: [number, number][] = [
    [8, 32],
    [16, 32],
    [32, 16],
    [2, 1024],
    [1024, 2],
    [32, 32],
    [1, 1024],
  ];
  const cases: Case[] = [];
  for (const numWarps of [4, 16])
    for (const type of ['int32', 'float32', 'bfloat16'] as const)
      for (const axis of [1, 0])
        for (const reverse of [true, false])
          for (const shape of shapes)
            for (const op of ['cumsum', 'cumprod', 'get_first_element', 'linear_recurrence', 'cummax', 'roll']) {
              // Triton skips these itself (bf16 comparisons before sm_90; the recurrence's bf16 accuracy).
              if (type === 'bfloat16' && (op === 'cummax' || op === 'linear_recurrence')) continue;
              cases.push(scan2dCase(op, type, shape, axis, reverse, numWarps));
            }
  cases.push(scan2dCase('cumsum', 'float32', [32, 32], -1, false, 4));
  return cases;
}

function scan1dCase(m: number, n: number): Case {
  const id = `${m}-${n}`;
  return {
    test: 'test_scan_1d',
    id,
    simulate: true,
    run: (launch) => {
      const rs = new Random(17);
      const x = np.array('int32', [m], Array.from({ length: m }, () => Math.floor(rs.next() * 200) - 100));
      const [out] = launch(scan1d, [1], [empty([m * n], 'i32'), np.toKt(x), { M: m, N: n }]);
      const c = np.astype(np.cumulative(x, 0, 'sum'), 'int32');
      np.assertEqual(np.fromKt(out!), np.array('int32', [m * n], Array.from({ length: m * n }, (_, i) => c.data[i % m]!)));
    },
  };
}

export function reduceCases(): Case[] {
  const cases: Case[] = [maxReturnsZeroCase];
  for (const op of ['min', 'max', 'min-with-indices', 'max-with-indices', 'argmin-tie-break-left', 'argmax-tie-break-left', 'sum']) for (const dtype of dtypesWithBfloat16) for (const shape of [32, 64, 128, 512]) cases.push(reduce1dCase(op, dtype, shape));
  cases.push(...reduceConfigs().map(reduceCase));
  cases.push(sumDtypeCase, genericReductionCase);
  cases.push(...scan2dCases());
  for (const [m, n] of [
    [1, 64],
    [2, 32],
    [4, 16],
    [8, 8],
    [16, 4],
    [32, 2],
    [64, 1],
  ] as const)
    cases.push(scan1dCase(m, n));
  return cases;
}
