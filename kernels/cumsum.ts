// Cumulative sum along each row. A row longer than one block is scanned block by block, carrying the total
// of the blocks before.
import { defineSpec, empty, kernel, tl, type Ptr, type i32, type constexpr } from 'kt';
import { bytesOf, randomTensor } from './common.ts';

export const cumsum = kernel(function cumsum(x: Ptr, out: Ptr, nCols: i32, stride: i32, BLOCK: constexpr) {
  const row = tl.programId(0);
  let carry = 0;
  for (let off = 0; off < nCols; off += BLOCK) {
    const cols = off + tl.arange(0, BLOCK);
    const mask = cols < nCols;
    const v = tl.load(x + row * stride + cols, { mask, other: 0 });
    tl.store(out + row * stride + cols, tl.cumsum(v, 0) + carry, { mask });
    carry += tl.sum(v, 0);
  }
});

export const spec = defineSpec({
  name: 'cumsum',
  description: 'inclusive prefix sum along each row of an M x N matrix',
  kernels: [cumsum],
  sizes: { M: 64, N: 4000 },
  testSizes: [{ M: 1, N: 1 }, { M: 3, N: 100 }, { M: 2, N: 2500 }],
  dtypes: ['f32', 'i32', 'f64', 'i64'],
  config: { BLOCK: 1024 },
  inputs: ({ M, N }, dtype, rng) => ({ x: randomTensor([M!, N!], dtype, rng), out: empty([M!, N!], dtype) }),
  launch: ({ x, out }, { M, N }, config) => cumsum([M!], x, out, N, x.stride(0), config),
  reference: ({ x }, { M, N }) => {
    const v = x.toNumbers();
    const out = new Float64Array(M! * N!);
    for (let r = 0; r < M!; r++) {
      let s = 0;
      for (let c = 0; c < N!; c++) out[r * N! + c] = s += v[r * N! + c]!;
    }
    return { out };
  },
  tolerance: (dtype) => (dtype === 'f32' ? { atol: 1e-3, rtol: 1e-4 } : { atol: 1e-9, rtol: 1e-12 }),
  flops: ({ M, N }) => M! * N!,
  bytes: ({ M, N }, dtype) => 2 * M! * N! * bytesOf(dtype),
});
