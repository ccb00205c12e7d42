// Triton's dot tests (test_core.py: test_dot at its small shapes with every epilogue, test_dot_without_load,
// test_dot3d, test_dot_mulbroadcasted), ported as kt kernels with NumPy references.
import { Random, empty, kernel, tl, type DType, type Ptr, type Tensor, type constexpr, type i32 } from 'kt';
import { dtypes as ktDTypes } from '../../src/compiler/semantic/dtype.ts';
import * as np from './numpy.ts';
import type { NdArray, TritonDType } from './numpy.ts';
import { sampled, type Case, type Launch } from './suite.ts';

// ---- kernels -------------------------------------------------------------------------------------------------------

/**
 * test_dot's kernel. Triton writes `.to(max.dtype)` and `.to(w.dtype)`; kt has no `.dtype` on tiles yet, so the
 * dtypes come in as constexprs (OUT_DTYPE and IN_DTYPE).
 */
export const dot = kernel(function dot(
  X: Ptr, strideXm: i32, strideXk: i32,
  Y: Ptr, strideYk: i32, strideYn: i32,
  W: Ptr, strideWn: i32, strideWl: i32,
  Z: Ptr, strideZm: i32, strideZn: i32,
  BLOCK_M: constexpr, BLOCK_N: constexpr, BLOCK_K: constexpr,
  ADD_MATRIX: constexpr<boolean>, ADD_ROWS: constexpr<boolean>, ADD_COLS: constexpr<boolean>,
  INPUT_PRECISION: constexpr<'ieee' | 'tf32' | 'tf32x3'>, DO_SOFTMAX: constexpr<boolean>, CHAIN_DOT: constexpr<boolean>,
  IN_DTYPE: constexpr<DType>, OUT_DTYPE: constexpr<DType>,
) {
  const offM = tl.arange(0, BLOCK_M);
  const offN = tl.arange(0, BLOCK_N);
  const offL = tl.arange(0, BLOCK_N);
  const offK = tl.arange(0, BLOCK_K);
  const Xs = X + tl.expandDims(offM, 1) * strideXm + tl.expandDims(offK, 0) * strideXk;
  const Ys = Y + tl.expandDims(offK, 1) * strideYk + tl.expandDims(offN, 0) * strideYn;
  const Ws = W + tl.expandDims(offN, 1) * strideWn + tl.expandDims(offL, 0) * strideWl;
  const Zs = Z + tl.expandDims(offM, 1) * strideZm + tl.expandDims(offN, 0) * strideZn;
  const x = tl.load(Xs);
  const y = tl.load(Ys);
  let z = tl.dot(x, y, null, { inputPrecision: INPUT_PRECISION, outDtype: OUT_DTYPE });
  if (ADD_MATRIX) z += tl.load(Zs);
  if (ADD_ROWS) z += tl.expandDims(tl.load(Z + offM * strideZm), 1);
  if (ADD_COLS) z += tl.expandDims(tl.load(Z + offN * strideZn), 0);
  if (DO_SOFTMAX) {
    const max = tl.max(z, 1);
    z = z - tl.expandDims(max, 1);
    const num = tl.exp(z.to(tl.float32)).to(OUT_DTYPE);
    const den = tl.sum(num, 1);
    z = num / tl.expandDims(den, 1);
  }
  if (CHAIN_DOT) {
    const w = tl.load(Ws);
    z = tl.dot(z.to(IN_DTYPE), w, null, { inputPrecision: INPUT_PRECISION, outDtype: OUT_DTYPE });
  }
  tl.store(Zs, z);
});

export const dotWithoutLoad = kernel(function dotWithoutLoad(out: Ptr, DT: constexpr<DType>) {
  const a = tl.full([32, 32], 1.0, DT);
  const b = tl.full([32, 32], 1.0, DT);
  const c = tl.dot(a, b);
  const outPtr = out + tl.expandDims(tl.arange(0, 32), 1) * 32 + tl.expandDims(tl.arange(0, 32), 0);
  tl.store(outPtr, c);
});

export const dot3d = kernel(function dot3d(
  qPtr: Ptr, kPtr: Ptr, oPtr: Ptr,
  strideQb: i32, strideQm: i32, strideQk: i32,
  strideKb: i32, strideKk: i32, strideKn: i32,
  strideOb: i32, strideOm: i32, strideOn: i32,
  BLOCK_B: constexpr, BLOCK_M: constexpr, BLOCK_N: constexpr, BLOCK_K: constexpr,
  INPUT_PRECISION: constexpr<'ieee' | 'tf32'>, OUT_DTYPE: constexpr<DType>,
) {
  const startm = tl.programId(0) * BLOCK_M;
  const startn = tl.programId(1) * BLOCK_N;
  const offsB = tl.arange(0, BLOCK_B);
  const offsM = startm + tl.arange(0, BLOCK_M);
  const offsN = startn + tl.arange(0, BLOCK_N);
  const offsK = tl.arange(0, BLOCK_K);
  const qPtrs = qPtr + tl.expandDims(offsB, [1, 2]) * strideQb + tl.expandDims(tl.expandDims(offsM, 0), 2) * strideQm + tl.expandDims(offsK, [0, 1]) * strideQk;
  const kPtrs = kPtr + tl.expandDims(offsB, [1, 2]) * strideKb + tl.expandDims(tl.expandDims(offsK, 0), 2) * strideKk + tl.expandDims(offsN, [0, 1]) * strideKn;
  const q = tl.load(qPtrs);
  const k = tl.load(kPtrs);
  const qk = tl.dot(q, k, null, { inputPrecision: INPUT_PRECISION, outDtype: OUT_DTYPE });
  const oPtrs = oPtr + tl.expandDims(offsB, [1, 2]) * strideOb + tl.expandDims(tl.expandDims(offsM, 0), 2) * strideOm + tl.expandDims(offsN, [0, 1]) * strideOn;
  tl.store(oPtrs, qk);
});

export const dotMulBroadcasted = kernel(function dotMulBroadcasted(Z: Ptr, X: Ptr, Y: Ptr, M: constexpr, N: constexpr, K: constexpr, BM: constexpr, BN: constexpr, BK: constexpr) {
  const pidn = tl.programId(1);
  const pidm = tl.programId(0);
  const offm = tl.expandDims(tl.arange(0, BM), 1);
  const offn = tl.expandDims(tl.arange(0, BN), 0);
  const offak = tl.expandDims(tl.arange(0, BK), 0);
  const offbk = tl.expandDims(tl.arange(0, BK), 1);
  let acc = tl.full([BM, BN], 0.0, tl.float32);
  for (let ridx5 = 0; ridx5 < Math.floor(K / BK); ridx5++) {
    let x = tl.load(X + (pidm * K * BM + offm * K + ridx5 * BK + offak));
    let y = tl.load(Y + (pidn * BN + offbk * N + ridx5 * N * BK + offn));
    x = tl.expandDims(x, 2);
    y = tl.expandDims(y, 0);
    const t = tl.sum(x * y, 1);
    acc = t + acc;
  }
  tl.store(Z + (pidm * BM * N + pidn * BN + offm * N + offn), acc);
});

// ---- test_dot --------------------------------------------------------------------------------------------------------

interface DotParams {
  M: number;
  N: number;
  K: number;
  numWarps: number;
  colA: boolean;
  colB: boolean;
  epilogue: string;
  inputPrecision: 'ieee' | 'tf32' | 'tf32x3';
  inDtype: TritonDType;
  outDtype: TritonDType;
}

/** x * 0.1 as NumPy computes it on an array of its dtype (float16 rounds; bf16 is held as float32). */
const scale = (a: NdArray, by: number): NdArray => np.multiply(a, np.pyFloat(by));

/** A tensor whose logical [rows, cols] view has strides [1, rows] (Triton's `numpy_random((cols, rows)).T`). */
function columnMajor(a: NdArray, dtype: TritonDType): { t: Tensor; strides: [number, number] } {
  const t = np.toKt(np.transpose(a), dtype);
  return { t, strides: [1, a.shape[0]!] };
}

function testDot(launch: Launch, p: DotParams): void {
  const { M, N, K, numWarps, colA, colB, epilogue, inputPrecision, inDtype } = p;
  const rs = new Random(17);
  let x = colA ? np.transpose(np.numpyRandom([K, M], inDtype, rs)) : np.numpyRandom([M, K], inDtype, rs);
  let y = colB ? np.transpose(np.numpyRandom([N, K], inDtype, rs)) : np.numpyRandom([K, N], inDtype, rs);
  let w = np.numpyRandom([N, N], inDtype, rs);
  const isFp8 = inDtype.startsWith('float8');
  if (!inDtype.includes('int') && !isFp8) {
    x = scale(x, 0.1);
    y = scale(y, 0.1);
  }
  if (inDtype === 'float32' && inputPrecision === 'tf32') [x, y, w] = [x, y, w].map((a) => ({ ...a, data: a.data.map((v) => truncTf32(v as number)) }));
  // z: 1 + numpy_random(...) * .1 (for int8 outputs 1 + an int32 draw), in NumPy's dtype of that expression.
  const z = p.outDtype === 'int8' ? np.add(np.numpyRandom([M, N], 'int32', rs), np.pyInt(1)) : np.add(scale(np.numpyRandom([M, N], inDtype, rs), 0.1), np.pyInt(1));
  const xa = colA ? columnMajor(x, inDtype) : { t: np.toKt(x, inDtype), strides: [K, 1] as [number, number] };
  const ya = colB ? columnMajor(y, inDtype) : { t: np.toKt(y, inDtype), strides: [N, 1] as [number, number] };
  const wt = np.toKt(w, inDtype);
  // 'trans': z is read and written through strides [1, M] (torch.as_strided(z, (M, N), [1, M])).
  const trans = epilogue === 'trans';
  const zt = trans ? np.toKt(np.reshape(z, [N, M])) : np.toKt(z);
  const zStrides = trans ? [1, M] : [N, 1];
  const outDtype = p.outDtype === 'int8' ? ktDTypes.i8 : p.outDtype === 'float16' && epilogue !== 'softmax' ? ktDTypes.f16 : ktDTypes.f32;
  const out = launch(dot, [1, 1], [
    xa.t, ...xa.strides, ya.t, ...ya.strides, wt, N, 1, zt, ...zStrides,
    {
      BLOCK_M: M, BLOCK_N: N, BLOCK_K: K,
      ADD_MATRIX: epilogue === 'add-matrix', ADD_ROWS: epilogue === 'add-rows', ADD_COLS: epilogue === 'add-cols',
      INPUT_PRECISION: inputPrecision, DO_SOFTMAX: epilogue === 'softmax', CHAIN_DOT: epilogue === 'chain-dot',
      IN_DTYPE: ktDTypes[np.ktDType(inDtype)], OUT_DTYPE: outDtype, numWarps,
    },
  ], { tol: dotTolerance(p, outDtype) });
  let zTri = np.fromKt(out[3]!);
  if (trans) zTri = np.transpose(np.reshape(zTri, [N, M]));
  // The reference, as NumPy computes it.
  const f32 = (a: NdArray): NdArray => (isFp8 ? np.fromKt(np.toKt(a, inDtype)) : a);
  let zRef = inDtype === 'int8' ? np.astype(np.matmul(np.astype(x, 'float32'), np.astype(y, 'float32')), 'int32') : np.matmul(f32(x), f32(y));
  if (epilogue === 'add-matrix') zRef = iadd(zRef, z);
  if (epilogue === 'add-rows') zRef = iadd(zRef, np.reshape({ ...z, data: z.data.filter((_, i) => i % N === 0) }, [M, 1]));
  if (epilogue === 'add-cols') zRef = iadd(zRef, np.reshape({ ...z, data: z.data.slice(0, N) }, [1, N]));
  if (epilogue === 'softmax') {
    const num = np.mathFn(np.subtract(zRef, np.max(zRef, 1, true)), Math.exp);
    zRef = np.trueDivide(num, np.sum(num, 1, true));
  }
  if (epilogue === 'chain-dot') {
    if (isFp8) zRef = np.fromKt(np.toKt(np.astype(zRef, 'float32'), inDtype));
    zRef = np.matmul(zRef, f32(w));
  }
  if (inDtype === 'float32') np.assertAllclose(zTri, zRef, { rtol: 0.01, atol: 1e-3 });
  else if (outDtype === ktDTypes.f16 || inDtype === 'bfloat16') np.assertAllclose(zTri, zRef, { rtol: 0.01, atol: 1e-2 });
  else np.assertAllclose(zTri, zRef, { rtol: 0.01, atol: 1e-3 });
}

/** z_ref += z: in place, so in z_ref's dtype. */
const iadd = (a: NdArray, b: NdArray): NdArray => np.astype(np.add(a, b), a.dtype);

const tf32Scratch = new Float32Array(1);
const tf32Bits = new Uint32Array(tf32Scratch.buffer);
/** (x.view('uint32') & 0xffffe000).view('float32'). */
function truncTf32(v: number): number {
  tf32Scratch[0] = v;
  tf32Bits[0] = tf32Bits[0]! & 0xffffe000;
  return tf32Scratch[0]!;
}

/**
 * Between the GPU and the interpreter: the dot's summation order differs (K ulps of the products' magnitude), and
 * where z is f16 (f16 inputs) or the chain's second dot reads the first rounded to f16, a result may round to the
 * neighbouring f16: then Triton's own tolerance for the case.
 */
function dotTolerance(p: DotParams, out: DType): { atol: number; rtol: number } {
  if (out === ktDTypes.f16 || p.inDtype === 'float16' || p.inDtype === 'bfloat16' || p.inDtype.startsWith('float8')) return { atol: 1e-2, rtol: 1e-2 };
  if (p.epilogue === 'softmax') return { atol: 1e-5, rtol: 1e-4 };
  return { atol: 1e-4, rtol: 1e-4 };
}

function dotCase(p: DotParams, simulate: boolean): Case {
  const id = `${p.M}-${p.N}-${p.K}-${p.numWarps}-${p.colA}-${p.colB}-${p.epilogue}-${p.inputPrecision}-${p.inDtype}-${p.outDtype}`;
  return { test: 'test_dot', id, simulate: simulate && sampled(id, 1), run: (launch) => testDot(launch, p) };
}

function dotCases(): Case[] {
  const cases: Case[] = [];
  const seen = new Set<string>();
  const add = (p: DotParams, simulate = false): void => {
    const c = dotCase(p, simulate);
    if (seen.has(c.id)) return;
    seen.add(c.id);
    cases.push(c);
  };
  // get_test_dot_base_cases
  for (const [M, N, K] of [
    [64, 64, 64],
    [32, 32, 32],
    [16, 16, 16],
  ])
    for (const epilogue of ['none', 'trans', 'add-matrix', 'add-rows', 'add-cols', 'softmax', 'chain-dot'])
      for (const inputPrecision of ['tf32', 'tf32x3', 'ieee'] as const)
        for (const [inDtype, outDtype] of [
          ['float16', 'float16'],
          ['float16', 'float32'],
          ['float32', 'float32'],
        ] as const) {
          if (inputPrecision !== 'ieee' && inDtype === 'float16') continue;
          const sim = M === 16 && (epilogue === 'none' || epilogue === 'chain-dot' || (epilogue === 'softmax' && inDtype === 'float32')) && (inputPrecision === 'ieee' || inputPrecision === 'tf32');
          add({ M: M!, N: N!, K: K!, numWarps: 4, colA: false, colB: false, epilogue, inputPrecision, inDtype, outDtype }, sim);
        }
  // get_test_dot_mixed_sizes_cases (on CUDA: input precision tf32, kpack 1)
  for (const [M, N, K, numWarps] of [
    [128, 256, 32, 8],
    [128, 16, 32, 4],
    [32, 128, 64, 4],
    [128, 128, 64, 4],
    [64, 128, 128, 4],
    [32, 128, 64, 2],
    [64, 64, 32, 4],
    [32, 32, 128, 16],
    [128, 128, 64, 2],
    [64, 128, 128, 2],
  ])
    for (const colA of [true, false])
      for (const colB of [true, false])
        for (const [inDtype, outDtype] of [
          ['int8', 'int8'],
          ['float16', 'float16'],
          ['float16', 'float32'],
          ['float32', 'float32'],
        ] as const) {
          const sim = M === 64 && N === 64 && K === 32 && colA !== colB;
          add({ M: M!, N: N!, K: K!, numWarps: numWarps!, colA, colB, epilogue: 'none', inputPrecision: 'tf32', inDtype, outDtype }, sim);
        }
  // get_test_dot_transposed_op_base_cases
  for (const colA of [true, false]) for (const colB of [true, false]) add({ M: 64, N: 64, K: 64, numWarps: 4, colA, colB, epilogue: 'none', inputPrecision: 'ieee', inDtype: 'float32', outDtype: 'float32' });
  // get_test_dot_h100_shortcut_cases
  add({ M: 64, N: 64, K: 64, numWarps: 4, colA: false, colB: false, epilogue: 'chain-dot', inputPrecision: 'ieee', inDtype: 'bfloat16', outDtype: 'float32' }, true);
  // get_test_dot_fp8_output_cases
  for (const fp8 of ['float8e5', 'float8e4nv'] as const) add({ M: 128, N: 128, K: 64, numWarps: 4, colA: false, colB: false, epilogue: 'chain-dot', inputPrecision: 'ieee', inDtype: fp8, outDtype: 'float32' });
  // get_test_dot_small_mn_fma_cases
  for (const [M, N, K, numWarps] of [
    [2, 2, 16, 1],
    [1, 64, 64, 1],
    [64, 2, 64, 2],
    [64, 64, 4, 4],
  ])
    for (const epilogue of ['none', 'trans', 'add-matrix', 'add-rows', 'add-cols'])
      for (const [inDtype, outDtype] of [
        ['float16', 'float16'],
        ['float32', 'float32'],
      ] as const)
        add({ M: M!, N: N!, K: K!, numWarps: numWarps!, colA: false, colB: false, epilogue, inputPrecision: 'ieee', inDtype, outDtype }, epilogue === 'none');
  return cases;
}

function dotWithoutLoadCase(dtype: 'float32' | 'float16'): Case {
  return {
    test: 'test_dot_without_load',
    id: dtype,
    simulate: true,
    run: (launch) => {
      const [out] = launch(dotWithoutLoad, [1], [empty([32, 32], np.ktDType(dtype)), { DT: ktDTypes[np.ktDType(dtype)] }]);
      np.assertEqual(np.fromKt(out!), 32);
    },
  };
}

// ---- test_dot3d ---------------------------------------------------------------------------------------------------------

function dot3dCase(B: number, numWarps: number, M: number, N: number, K: number, BLOCK_M: number, BLOCK_N: number, inDtype: TritonDType, outDtypeStr: TritonDType): Case {
  const id = `${B}-${numWarps}-${M}-${N}-${K}-${BLOCK_M}-${BLOCK_N}-${inDtype}-${outDtypeStr}`;
  return {
    test: 'test_dot3d',
    id,
    // The batched dot is B 2-D dots (semantic/dot.ts): a few small ones exercise it on the simulator.
    simulate: numWarps === 4 && M === 32 && BLOCK_M === 32 && ((B === 2 && inDtype === 'float32') || (B === 4 && inDtype === 'int8') || (B === 2 && inDtype === 'float16' && outDtypeStr === 'float32')),
    // A thread with 8192 multiply-adds or more (8 batches of 32 x 32 x 32 on one warp; f16 accumulators stay on
    // the FMA units) is a PTX of 30,000 lines, which ptxas takes 5 s or more to assemble (46 s before exchanges
    // addressed linearly: BENCHMARKS.md, compile time), and the interpreter cross-check of its 8 batches comes on
    // top: it took 62 s on a loaded GPU machine.
    timeoutMs: (B * BLOCK_M * BLOCK_N * K) / (32 * numWarps) >= 8192 ? 180_000 : undefined,
    run: (launch) => {
      const inputPrecision = inDtype === 'float32' ? 'tf32' : 'ieee';
      const rs = new Random(17);
      const x = np.numpyRandom([B, M, K], inDtype, rs);
      const y = np.numpyRandom([B, K, N], inDtype, rs);
      const out = inDtype === 'int8' ? np.numpyRandom([B, M, N], 'int32', rs) : np.numpyRandom([B, M, N], outDtypeStr, rs);
      const outDtype = outDtypeStr === 'int8' ? ktDTypes.i8 : outDtypeStr === 'float16' ? ktDTypes.f16 : ktDTypes.f32;
      const res = launch(dot3d, [Math.ceil(M / BLOCK_M), Math.ceil(N / BLOCK_N)], [
        np.toKt(x), np.toKt(y), np.toKt(out),
        M * K, K, 1, K * N, N, 1, M * N, N, 1,
        { BLOCK_B: B, BLOCK_M, BLOCK_N, BLOCK_K: K, INPUT_PRECISION: inputPrecision, OUT_DTYPE: outDtype, numWarps },
      ]);
      const refs: NdArray[] = [];
      for (let b = 0; b < B; b++) {
        const xb = np.reshape({ ...x, data: x.data.slice(b * M * K, (b + 1) * M * K) }, [M, K]);
        const yb = np.reshape({ ...y, data: y.data.slice(b * K * N, (b + 1) * K * N) }, [K, N]);
        refs.push(inDtype === 'int8' ? np.astype(np.matmul(np.astype(xb, 'float32'), np.astype(yb, 'float32')), 'int32') : np.matmul(xb, yb));
      }
      const ref: NdArray = { dtype: refs[0]!.dtype, shape: [B, M, N], data: refs.flatMap((r) => r.data) };
      np.assertAllclose(np.fromKt(res[2]!), ref, { rtol: 0.01, atol: 1e-2 });
    },
  };
}

function dot3dCases(): Case[] {
  const cases: Case[] = [];
  for (const B of [1, 2, 4, 8])
    for (const numWarps of [1, 2, 4, 8, 16])
      for (const [M, N, K] of [
        [64, 64, 64],
        [32, 32, 32],
      ])
        for (const [i, o] of [
          ['int8', 'int8'],
          ['float16', 'float16'],
          ['float16', 'float32'],
          ['float32', 'float32'],
        ] as const)
          cases.push(dot3dCase(B, numWarps, M!, N!, K!, 32, 32, i, o));
  cases.push(dot3dCase(4, 4, 128, 128, 64, 64, 64, 'float16', 'float16'));
  for (const B of [1, 2, 8])
    for (const numWarps of [1, 2, 4])
      for (const [bm, bn] of [
        [1, 32],
        [32, 2],
        [8, 8],
      ])
        for (const [i, o] of [
          ['float16', 'float16'],
          ['float32', 'float32'],
        ] as const)
          cases.push(dot3dCase(B, numWarps, 32, 32, 32, bm!, bn!, i, o));
  return cases;
}

const dotMulBroadcastedCase: Case = {
  test: 'test_dot_mulbroadcasted',
  id: 'float32',
  simulate: true,
  run: (launch) => {
    const [M, N, K] = [256, 192, 160];
    const [BM, BN, BK] = [128, 32, 32];
    const rs = new Random(17);
    const x = scale(np.numpyRandom([M, K], 'float32', rs), 0.1);
    const y = scale(np.numpyRandom([K, N], 'float32', rs), 0.1);
    const z = np.numpyRandom([M, N], 'float32', rs);
    const [zOut] = launch(dotMulBroadcasted, [M / BM, N / BN], [np.toKt(z), np.toKt(x), np.toKt(y), { M, N, K, BM, BN, BK }], { tol: { atol: 1e-5, rtol: 1e-5 } });
    np.assertAllclose(np.fromKt(zOut!), np.matmul(x, y), { atol: 0.01 });
  },
};

export function dotCasesAll(): Case[] {
  return [...dotCases(), dotWithoutLoadCase('float32'), dotWithoutLoadCase('float16'), ...dot3dCases(), dotMulBroadcastedCase];
}

