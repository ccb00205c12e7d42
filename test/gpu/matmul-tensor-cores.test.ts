// The library matmul on tensor cores (wgmma on sm_90, pipelined with cp.async over numStages buffers) against
// the interpreter: f16 and bf16, 4 and 8 warps (one or two warpgroups), 2 to 4 stages, sizes that are not
// multiples of the blocks (masked edges, K shorter than the pipeline), and K strides that rule the async copy
// out (the synchronous path). The tolerance is the summation order's: products are exact, sums are f32.
// Then the types wgmma reads only K-major: tf32 (f32 inputs, low mantissa bits dropped on every tier), i8 (exact)
// and fp8 e4m3/e5m2, with B stored N x K (K contiguous, as Triton's fp8 tutorial) and stored K x N (placed
// K-major in shared memory by the kernel, without the async copy); those stored K x N go to mma.sync on sm_90.
// Then mma.sync itself: on sm_90 for tiles wgmma cannot take (32 rows, 2 warps), and every case again compiled for
// sm_80 (in the simulator, or on a Hopper, whose driver compiles the sm_80 PTX).
import { describe, test } from 'vitest';
import { Random, cdiv, empty, kernel, tensor, tl, type DType, type Ptr, type constexpr, type i32 } from 'kt';
import { randomTensor } from '../../kernels/common.ts';
import { linear } from '../../kernels/linear.ts';
import { matmul } from '../../kernels/matmul.ts';
import { gpuMatchesInterpreter, gpuPresent, targetRuns } from './harness.ts';

const rng = new Random(5);

// [M, N, K, BLOCK_M, BLOCK_N, BLOCK_K, numWarps, numStages]
const cases: [number, number, number, number, number, number, number, number][] = [
  [64, 64, 32, 64, 64, 32, 4, 3],
  [64, 64, 32, 64, 64, 16, 4, 4],
  [128, 128, 96, 64, 64, 32, 4, 3],
  [128, 64, 200, 64, 64, 32, 4, 2],
  [96, 72, 40, 64, 64, 32, 4, 3],
  [130, 200, 70, 128, 128, 64, 8, 3],
  [128, 128, 256, 128, 64, 64, 8, 4],
  [64, 256, 64, 64, 256, 64, 4, 3],
  [256, 256, 128, 128, 256, 64, 8, 3],
];

/** A test of the library matmul on the GPU tier against the interpreter, for one dtype and case (and target). */
function matmulCase(dtype: 'f16' | 'bf16', [M, N, K, bm, bn, bk, numWarps, numStages]: readonly [number, number, number, number, number, number, number, number], target?: string): void {
  test(`${dtype} ${M}x${N}x${K}, blocks ${bm}x${bn}x${bk}, ${numWarps} warps, ${numStages} stages`, () => {
    const a = randomTensor([M, K], dtype, rng);
    const b = randomTensor([K, N], dtype, rng);
    const c = empty([M, N], dtype);
    const config = { BLOCK_M: bm, BLOCK_N: bn, BLOCK_K: bk, GROUP_M: 8, numWarps, numStages };
    gpuMatchesInterpreter(matmul, [cdiv(M, bm) * cdiv(N, bn)], [a, b, c, M, N, K, K, 1, N, 1, N, 1, config], { tol: dtype === 'f16' ? { atol: 2e-2, rtol: 1e-2 } : { atol: 0.1, rtol: 2e-2 }, ...(target ? { target } : {}) });
  });
}

describe.skipIf(!gpuPresent)('matmul on tensor cores', () => {
  for (const dtype of ['f16', 'bf16'] as const) {
    for (const shape of cases) matmulCase(dtype, shape);
  }
});

// Tiles wgmma cannot take (fewer than 64 rows, or warps that are not whole warpgroups) run on mma.sync.
// [M, N, K, BLOCK_M, BLOCK_N, BLOCK_K, numWarps, numStages]
const mmaSyncCases: [number, number, number, number, number, number, number, number][] = [
  [32, 64, 64, 32, 64, 32, 4, 3],
  [70, 50, 100, 32, 32, 32, 2, 2],
  [64, 128, 96, 64, 128, 32, 2, 3],
  [128, 64, 48, 128, 64, 16, 8, 1],
];

describe.skipIf(!gpuPresent)('matmul on mma.sync', () => {
  for (const dtype of ['f16', 'bf16'] as const) {
    for (const shape of mmaSyncCases) matmulCase(dtype, shape);
  }
});

describe.skipIf(!targetRuns('sm_80'))('matmul on mma.sync for sm_80', () => {
  for (const dtype of ['f16', 'bf16'] as const) {
    for (const shape of [...cases.slice(0, 6), ...mmaSyncCases]) matmulCase(dtype, shape, 'sm_80');
  }
});

/** C = A @ B with B at any strides (K-major or N-major storage), a 2-D grid of BM x BN tiles. */
const stridedMatmul = kernel(function stridedMatmul(a: Ptr, b: Ptr, c: Ptr, M: i32, N: i32, K: i32, strideBk: i32, strideBn: i32, PRECISION: constexpr<string>, ACC: constexpr<DType>, BM: constexpr, BN: constexpr, BK: constexpr) {
  const rows = (tl.programId(0) * BM + tl.arange(0, BM)) % M;
  const cols = (tl.programId(1) * BN + tl.arange(0, BN)) % N;
  const ks = tl.arange(0, BK);
  let acc = tl.zeros([BM, BN], ACC);
  for (let k = 0; k < K; k += BK) {
    const x = tl.load(a + tl.expandDims(rows, 1) * K + tl.expandDims(ks + k, 0), { mask: tl.expandDims(ks + k, 0) < K, other: 0 });
    const y = tl.load(b + tl.expandDims(ks + k, 1) * strideBk + tl.expandDims(cols, 0) * strideBn, { mask: tl.expandDims(ks + k, 1) < K, other: 0 });
    acc = tl.dot(x, y, acc, { inputPrecision: PRECISION as "ieee" | "tf32" | "tf32x3" });
  }
  const outRows = tl.programId(0) * BM + tl.arange(0, BM);
  const outCols = tl.programId(1) * BN + tl.arange(0, BN);
  tl.store(c + tl.expandDims(outRows, 1) * N + tl.expandDims(outCols, 0), acc, { mask: tl.expandDims(outRows, 1) < M && tl.expandDims(outCols, 0) < N });
});

describe.skipIf(!gpuPresent)('dots of K-major types on tensor cores', () => {
  const types = [
    { dtype: 'f32', precision: 'tf32', acc: tl.float32, draw: () => rng.normal() },
    // Three tf32 dots of the operands' high and low parts (decompose-tf32x3), on every tier.
    { dtype: 'f32', precision: 'tf32x3', acc: tl.float32, draw: () => rng.normal() },
    { dtype: 'i8', precision: 'ieee', acc: tl.int32, draw: () => Math.floor(rng.next() * 32) - 16 },
    { dtype: 'f8e4m3', precision: 'ieee', acc: tl.float32, draw: () => Math.round(rng.normal() * 8) / 4 },
    { dtype: 'f8e5m2', precision: 'ieee', acc: tl.float32, draw: () => Math.round(rng.normal() * 8) / 4 },
  ] as const;
  // [M, N, K, BM, BN, BK, numWarps, numStages]
  const shapes: [number, number, number, number, number, number, number, number][] = [
    [64, 64, 64, 64, 64, 64, 4, 3],
    [100, 72, 200, 64, 64, 64, 4, 2],
    [128, 128, 256, 128, 64, 128, 8, 3],
  ];
  for (const t of types) {
    // 4-byte f32 tiles of 128 x 128 and 128 x 64 in 3 stages would need 288 KB of shared memory: half the K.
    const fits = (shape: (typeof shapes)[number]): (typeof shapes)[number] => (t.dtype === 'f32' && shape[5] === 128 ? [...shape.slice(0, 5), 64, ...shape.slice(6)] as (typeof shapes)[number] : shape);
    for (const kMajorB of [true, false]) {
      for (const [M, N, K, BM, BN, BK, numWarps, numStages] of shapes.map(fits)) {
        test(`${t.dtype}${t.precision === 'tf32x3' ? ' tf32x3' : ''} ${M}x${N}x${K}, B ${kMajorB ? 'K-major' : 'N-major'}, blocks ${BM}x${BN}x${BK}, ${numWarps} warps, ${numStages} stages`, () => {
          const a = tensor(Array.from({ length: M * K }, t.draw), { dtype: t.dtype });
          const b = tensor(Array.from({ length: K * N }, t.draw), { dtype: t.dtype });
          const [strideBk, strideBn] = kMajorB ? [1, K] : [N, 1];
          const c = empty([M, N], t.acc === tl.int32 ? 'i32' : 'f32');
          const config = { PRECISION: t.precision, ACC: t.acc, BM, BN, BK, numWarps, numStages };
          gpuMatchesInterpreter(stridedMatmul, [cdiv(M, BM), cdiv(N, BN)], [a, b, c, M, N, K, strideBk, strideBn, config], { tol: { atol: 1e-3, rtol: 1e-5 } });
        });
        // The same on sm_80 (mma.sync; fp8 needs sm_89).
        test.skipIf(!targetRuns('sm_80') || t.dtype.startsWith('f8'))(`sm_80: ${t.dtype}${t.precision === 'tf32x3' ? ' tf32x3' : ''} ${M}x${N}x${K}, B ${kMajorB ? 'K-major' : 'N-major'}, blocks ${BM}x${BN}x${BK}, ${numWarps} warps, ${numStages} stages`, () => {
          const a = tensor(Array.from({ length: M * K }, t.draw), { dtype: t.dtype });
          const b = tensor(Array.from({ length: K * N }, t.draw), { dtype: t.dtype });
          const [strideBk, strideBn] = kMajorB ? [1, K] : [N, 1];
          const c = empty([M, N], t.acc === tl.int32 ? 'i32' : 'f32');
          const config = { PRECISION: t.precision, ACC: t.acc, BM, BN, BK, numWarps, numStages };
          gpuMatchesInterpreter(stridedMatmul, [cdiv(M, BM), cdiv(N, BN)], [a, b, c, M, N, K, strideBk, strideBn, config], { tol: { atol: 1e-3, rtol: 1e-5 }, target: 'sm_80' });
        });
      }
    }
  }
});

// The linear layer: its bias and leaky-ReLU epilogue runs in the accumulator's layout (the bias row converted to
// it, then broadcast), so the result is converted once, as f16, for the store.
describe.skipIf(!gpuPresent)('the fused epilogue of linear on tensor cores', () => {
  const shapes: [number, number, number, number, number, number, number][] = [
    [64, 64, 32, 64, 64, 32, 4],
    [130, 200, 70, 128, 128, 64, 8],
    [70, 50, 100, 32, 32, 32, 2],
  ];
  for (const target of [undefined, 'sm_80'] as const) {
    for (const [M, N, K, bm, bn, bk, numWarps] of shapes) {
      test.skipIf(target !== undefined && !targetRuns(target))(`${target ? `${target}: ` : ''}f16 ${M}x${N}x${K}, blocks ${bm}x${bn}x${bk}, ${numWarps} warps`, () => {
        const a = randomTensor([M, K], 'f16', rng);
        const b = randomTensor([K, N], 'f16', rng);
        const bias = randomTensor([N], 'f32', rng);
        const c = empty([M, N], 'f16');
        const config = { BLOCK_M: bm, BLOCK_N: bn, BLOCK_K: bk, GROUP_M: 8, numWarps, numStages: 3 };
        gpuMatchesInterpreter(linear, [cdiv(M, bm) * cdiv(N, bn)], [a, b, bias, c, M, N, K, K, 1, N, 1, N, 1, config], { tol: { atol: 2e-2, rtol: 1e-2 }, ...(target ? { target } : {}) });
      });
    }
  }
});
