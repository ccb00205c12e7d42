// The library matmul on tensor cores (wgmma on sm_90, pipelined with cp.async over numStages buffers) against
// the interpreter: f16 and bf16, 4 and 8 warps (one or two warpgroups), 2 to 4 stages, sizes that are not
// multiples of the blocks (masked edges, K shorter than the pipeline), and K strides that rule the async copy
// out (the synchronous path). The tolerance is the summation order's: products are exact, sums are f32.
import { describe, test } from 'vitest';
import { Random, cdiv, empty } from 'kt';
import { randomTensor } from '../../kernels/common.ts';
import { matmul } from '../../kernels/matmul.ts';
import { gpuMatchesInterpreter, gpuPresent } from './harness.ts';

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

describe.skipIf(!gpuPresent)('matmul on tensor cores', () => {
  for (const dtype of ['f16', 'bf16'] as const) {
    for (const [M, N, K, bm, bn, bk, numWarps, numStages] of cases) {
      test(`${dtype} ${M}x${N}x${K}, blocks ${bm}x${bn}x${bk}, ${numWarps} warps, ${numStages} stages`, () => {
        const a = randomTensor([M, K], dtype, rng);
        const b = randomTensor([K, N], dtype, rng);
        const c = empty([M, N], dtype);
        const config = { BLOCK_M: bm, BLOCK_N: bn, BLOCK_K: bk, GROUP_M: 8, numWarps, numStages };
        gpuMatchesInterpreter(matmul, [cdiv(M, bm) * cdiv(N, bn)], [a, b, c, M, N, K, K, 1, N, 1, N, 1, config], { tol: dtype === 'f16' ? { atol: 2e-2, rtol: 1e-2 } : { atol: 0.1, rtol: 2e-2 } });
      });
    }
  }
});
