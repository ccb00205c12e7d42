// Reductions straight on a tensor-core dot's result (test/fixtures/dot-reductions.ts) against the interpreter:
// row and column sums and maxima across the lanes and warps of wgmma and mma.sync accumulators, softmax of a
// dot (max, exp, sum, divide, as attention does), and argmax, whose combine does not commute and so runs in a
// blocked layout. On sm_90 (wgmma for whole warpgroups, mma.sync below) and sm_80 (on a Hopper, the driver compiles its PTX).
import { describe, test } from 'vitest';
import { Random, empty } from 'kt';
import { randomTensor } from '../../kernels/common.ts';
import { dotThenReduce } from '../fixtures/dot-reductions.ts';
import { gpuMatchesInterpreter, gpuPresent, targetRuns } from './harness.ts';

const rng = new Random(11);
const modes = ['rowmax', 'rowsum', 'colsum', 'softmax', 'argmax'] as const;
// [BM, BN, BK, numWarps]: wgmma with warps along M (4, 8), mma.sync with warps along M and N (2 x 2, 1 x 2).
const shapes: [number, number, number, number][] = [
  [64, 64, 32, 4],
  [128, 64, 16, 8],
  [32, 64, 32, 4],
  [16, 128, 16, 2],
];

function reduceCase(mode: (typeof modes)[number], [BM, BN, BK, numWarps]: readonly [number, number, number, number], target?: string): void {
  test(`${target ? `${target}: ` : ''}${mode} of a ${BM}x${BN}x${BK} f16 dot, ${numWarps} warps`, () => {
    const x = randomTensor([BM, BK], 'f16', rng);
    const y = randomTensor([BK, BN], 'f16', rng);
    const out = empty(mode === 'softmax' ? [BM, BN] : [mode === 'colsum' ? BN : BM], mode === 'argmax' ? 'i32' : 'f32');
    gpuMatchesInterpreter(dotThenReduce, [1], [x, y, out, { MODE: mode, BM, BN, BK, numWarps }], { tol: { atol: 1e-3, rtol: 1e-4 }, ...(target ? { target } : {}) });
  });
}

describe.skipIf(!gpuPresent)('reductions of tensor-core dot results', () => {
  for (const shape of shapes) for (const mode of modes) reduceCase(mode, shape);
});

describe.skipIf(!targetRuns('sm_80'))('reductions of tensor-core dot results on sm_80', () => {
  for (const shape of shapes) for (const mode of modes) reduceCase(mode, shape, 'sm_80');
});
