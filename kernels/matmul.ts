// Matrix multiplication C = A @ B with f32 accumulation, in Triton's tutorial form (03): each program computes
// a BLOCK_M x BLOCK_N tile of C, walking K in steps of BLOCK_K; programs are ordered in groups of GROUP_M rows
// of tiles so that neighbours reuse the same tiles of A and B from the cache.
import { cdiv, defineSpec, empty, kernel, tl, type Ptr, type i32, type constexpr } from 'kt';
import { bytesOf, nextPowerOf2, randomTensor } from './common.ts';

export const matmul = kernel(function matmul(
  a: Ptr,
  b: Ptr,
  c: Ptr,
  M: i32,
  N: i32,
  K: i32,
  strideAm: i32,
  strideAk: i32,
  strideBk: i32,
  strideBn: i32,
  strideCm: i32,
  strideCn: i32,
  BLOCK_M: constexpr,
  BLOCK_N: constexpr,
  BLOCK_K: constexpr,
  GROUP_M: constexpr,
  PRECISION: constexpr<'ieee' | 'tf32'> = 'ieee',
  ACC_INT: constexpr<boolean> = false,
) {
  const [acc, offsCm, offsCn] = matmulTile(a, b, M, N, K, strideAm, strideAk, strideBk, strideBn, BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M, PRECISION, ACC_INT);
  const cPtrs = c + strideCm * tl.expandDims(offsCm, 1) + strideCn * tl.expandDims(offsCn, 0);
  const cMask = tl.expandDims(offsCm, 1) < M && tl.expandDims(offsCn, 0) < N;
  tl.store(cPtrs, acc, { mask: cMask });
});

/**
 * The tile of A @ B that this program computes, as tutorial 03 does: the accumulator (f32, or i32 for i8 inputs
 * with ACC_INT), and the rows and columns of C it covers. PRECISION is the f32 dot's inputPrecision. Shared by
 * the kernels that differ only in what they do with the tile.
 */
export function matmulTile(
  a: Ptr,
  b: Ptr,
  M: i32,
  N: i32,
  K: i32,
  strideAm: i32,
  strideAk: i32,
  strideBk: i32,
  strideBn: i32,
  BLOCK_M: constexpr,
  BLOCK_N: constexpr,
  BLOCK_K: constexpr,
  GROUP_M: constexpr,
  PRECISION: constexpr<'ieee' | 'tf32'>,
  ACC_INT: constexpr<boolean>,
) {
  const pid = tl.programId(0);
  const numPidM = tl.cdiv(M, BLOCK_M);
  const numPidN = tl.cdiv(N, BLOCK_N);
  const numPidInGroup = GROUP_M * numPidN;
  const groupId = tl.floordiv(pid, numPidInGroup);
  const firstPidM = groupId * GROUP_M;
  const groupSizeM = tl.minimum(numPidM - firstPidM, GROUP_M);
  const pidM = firstPidM + ((pid % numPidInGroup) % groupSizeM);
  const pidN = tl.floordiv(pid % numPidInGroup, groupSizeM);

  // Rows and columns past the edge wrap around (they are computed but never stored), so loads need no mask on M and N.
  const offsAm = (pidM * BLOCK_M + tl.arange(0, BLOCK_M)) % M;
  const offsBn = (pidN * BLOCK_N + tl.arange(0, BLOCK_N)) % N;
  const offsK = tl.arange(0, BLOCK_K);
  let aPtrs = a + (tl.expandDims(offsAm, 1) * strideAm + tl.expandDims(offsK, 0) * strideAk);
  let bPtrs = b + (tl.expandDims(offsK, 1) * strideBk + tl.expandDims(offsBn, 0) * strideBn);

  let acc = tl.zeros([BLOCK_M, BLOCK_N], ACC_INT ? tl.int32 : tl.float32);
  for (let k = 0; k < tl.cdiv(K, BLOCK_K); k++) {
    const aTile = tl.load(aPtrs, { mask: tl.expandDims(offsK, 0) < K - k * BLOCK_K, other: 0 });
    const bTile = tl.load(bPtrs, { mask: tl.expandDims(offsK, 1) < K - k * BLOCK_K, other: 0 });
    acc = tl.dot(aTile, bTile, acc, { inputPrecision: PRECISION });
    aPtrs += BLOCK_K * strideAk;
    bPtrs += BLOCK_K * strideBk;
  }
  return [acc, pidM * BLOCK_M + tl.arange(0, BLOCK_M), pidN * BLOCK_N + tl.arange(0, BLOCK_N)];
}

export const spec = defineSpec({
  name: 'matmul',
  description: 'C = A @ B for A: M x K and B: K x N, accumulating in f32',
  kernels: [matmul],
  sizes: { M: 512, N: 512, K: 512 },
  testSizes: [{ M: 1, N: 1, K: 1 }, { M: 33, N: 47, K: 71 }, { M: 130, N: 65, K: 200 }],
  dtypes: ['f32', 'f16', 'bf16'],
  // Triton's best for 16-bit matmuls on Hopper's tensor cores (wgmma): two warpgroups over a 128 x 256 tile.
  config: { BLOCK_M: 128, BLOCK_N: 256, BLOCK_K: 64, GROUP_M: 8, numWarps: 8, numStages: 3 },
  inputs: ({ M, N, K }, dtype, rng) => ({
    a: randomTensor([M!, K!], dtype, rng),
    b: randomTensor([K!, N!], dtype, rng),
    c: empty([M!, N!], dtype),
  }),
  launch: ({ a, b, c }, { M, N, K }, config) => {
    const grid = (meta: Record<string, unknown>) => [cdiv(M!, meta.BLOCK_M as number) * cdiv(N!, meta.BLOCK_N as number)];
    matmul(grid, a, b, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1), config);
  },
  reference: ({ a, b }, { M, N, K }) => {
    const [av, bv] = [a.toNumbers(), b.toNumbers()];
    const out = new Float64Array(M! * N!);
    for (let i = 0; i < M!; i++) {
      for (let k = 0; k < K!; k++) {
        const x = av[i * K! + k]!;
        for (let j = 0; j < N!; j++) out[i * N! + j]! += x * bv[k * N! + j]!;
      }
    }
    return { c: out };
  },
  referenceAt: ({ a, b }, { N, K }) => {
    // Rows of A and columns of B are read as elements are asked for, and kept: a sample of some rows times some
    // columns reads only those.
    const rows = new Map<number, number[]>();
    const cols = new Map<number, number[]>();
    const lineOf = (cache: Map<number, number[]>, i: number, t: typeof a, at: (k: number) => number): number[] => {
      let line = cache.get(i);
      if (!line) cache.set(i, (line = t.valuesAt(Array.from({ length: K! }, (_, k) => at(k)))));
      return line;
    };
    return {
      c: (index) => {
        const [i, j] = [Math.floor(index / N!), index % N!];
        const [row, col] = [lineOf(rows, i, a, (k) => i * K! + k), lineOf(cols, j, b, (k) => k * N! + j)];
        let sum = 0;
        for (let k = 0; k < K!; k++) sum += row[k]! * col[k]!;
        return sum;
      },
    };
  },
  tuning: {
    spaces: {
      default: {
        params: { BLOCK_M: [32, 64, 128, 256], BLOCK_N: [32, 64, 128, 256], BLOCK_K: [16, 32, 64, 128], GROUP_M: [1, 8], numWarps: [2, 4, 8], numStages: [2, 3, 4] },
        where: (c, { values: { M, N, K }, dtypes: [dtype], device }) => {
          const [bm, bn, bk, warps, stages] = [c.BLOCK_M, c.BLOCK_N, c.BLOCK_K, c.numWarps, c.numStages] as number[];
          const threads = warps! * 32;
          // 16-bit dots on a GPU run on the tensor cores, where what matters is known: tiles of whole warpgroups
          // (the shapes of Triton's tutorial configs, and 128 x 128 with 8 warps), BLOCK_K 64 in 3 or 4 stages or
          // 32 in 4, GROUP_M 8. 24 configs, measured exhaustively; small problems keep the smaller tiles.
          if (device && (dtype === 'f16' || dtype === 'bf16')) {
            const shapes = ['128x256x8', '256x128x8', '128x128x8', '128x128x4', '64x256x4', '128x64x4', '64x128x4', '64x64x4'];
            return (
              shapes.includes(`${bm}x${bn}x${warps}`) &&
              c.GROUP_M === 8 &&
              (bk === 64 ? stages! >= 3 : bk === 32 && stages === 4) &&
              (bm! <= 64 || bm! <= nextPowerOf2(M as number)) &&
              (bn! <= 64 || bn! <= nextPowerOf2(N as number)) &&
              stages! * (bm! + bn!) * bk! * 2 <= device.maxSharedPerBlock
            );
          }
          return (
            // Blocks no larger than the matrix needs (rounded up to a power of two).
            bm! <= Math.max(32, nextPowerOf2(M as number)) &&
            bn! <= Math.max(32, nextPowerOf2(N as number)) &&
            bk! <= Math.max(16, nextPowerOf2(K as number)) &&
            // Every thread holds part of the accumulator, and no more than registers allow.
            bm! * bn! >= threads &&
            (bm! * bn!) / threads <= 128 &&
            // Each stage of A and B tiles fits in shared memory.
            (!device || stages! * (bm! + bn!) * bk! * bytesOf(dtype!) <= device.maxSharedPerBlock)
          );
        },
      },
      // The configs of Triton's matmul tutorial for fp16 (its first eight, and three with BLOCK_K 64 from its
      // fp8 list): a space of the tutorial's size, for comparing tuning time with Triton's @autotune.
      triton: [
        { BLOCK_M: 128, BLOCK_N: 256, BLOCK_K: 64, GROUP_M: 8, numStages: 3, numWarps: 8 },
        { BLOCK_M: 64, BLOCK_N: 256, BLOCK_K: 32, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 128, BLOCK_N: 128, BLOCK_K: 32, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 128, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 64, BLOCK_N: 128, BLOCK_K: 32, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 128, BLOCK_N: 32, BLOCK_K: 32, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 64, BLOCK_N: 32, BLOCK_K: 32, GROUP_M: 8, numStages: 5, numWarps: 2 },
        { BLOCK_M: 32, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8, numStages: 5, numWarps: 2 },
        { BLOCK_M: 128, BLOCK_N: 64, BLOCK_K: 64, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 64, BLOCK_N: 128, BLOCK_K: 64, GROUP_M: 8, numStages: 4, numWarps: 4 },
        { BLOCK_M: 128, BLOCK_N: 32, BLOCK_K: 64, GROUP_M: 8, numStages: 4, numWarps: 4 },
      ],
    },
  },
  // Sums of K products of unit normals grow like sqrt(K): scale the absolute tolerance with it.
  tolerance: (dtype) => ({ f32: { atol: 1e-4, rtol: 1e-4 }, f16: { atol: 5e-2, rtol: 1e-2 }, bf16: { atol: 0.25, rtol: 2e-2 } })[dtype as 'f32'] ?? { atol: 1e-4, rtol: 1e-4 },
  flops: ({ M, N, K }) => 2 * M! * N! * K!,
  bytes: ({ M, N, K }, dtype) => (M! * K! + K! * N! + M! * N!) * bytesOf(dtype),
});
