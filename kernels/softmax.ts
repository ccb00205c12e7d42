// Row-wise softmax, fused: one program loads a row, and max, exp, sum and divide happen in registers
// (Triton tutorial 02).
import { defineSpec, empty, kernel, tl, type Ptr, type i32, type constexpr } from 'kt';
import { bytesOf, nextPowerOf2, randomTensor } from './common.ts';

export const softmax = kernel(function softmax(out: Ptr, inp: Ptr, inRowStride: i32, outRowStride: i32, nCols: i32, BLOCK: constexpr) {
  const row = tl.programId(0);
  const cols = tl.arange(0, BLOCK);
  const mask = cols < nCols;
  const x = tl.load(inp + row * inRowStride + cols, { mask, other: -Infinity }).to(tl.float32);
  const z = x - tl.max(x, 0);
  const num = tl.exp(z);
  const den = tl.sum(num, 0);
  tl.store(out + row * outRowStride + cols, num / den, { mask });
});

export const spec = defineSpec({
  name: 'softmax',
  description: 'softmax over each row of an M x N matrix',
  kernels: [softmax],
  sizes: { M: 1024, N: 1000 },
  testSizes: [{ M: 1, N: 1 }, { M: 3, N: 17 }, { M: 33, N: 781 }],
  dtypes: ['f32', 'f16', 'bf16'],
  config: {},
  inputs: ({ M, N }, dtype, rng) => ({ x: randomTensor([M!, N!], dtype, rng), y: empty([M!, N!], dtype) }),
  launch: ({ x, y }, { M, N }, config) => softmax([M!], y, x, x.stride(0), y.stride(0), N, { BLOCK: nextPowerOf2(N!), ...config }),
  reference: ({ x }, { M, N }) => {
    const v = x.toNumbers();
    const out = new Float64Array(M! * N!);
    for (let r = 0; r < M!; r++) {
      const row = v.slice(r * N!, (r + 1) * N!);
      const max = Math.max(...row);
      const e = row.map((a) => Math.exp(a - max));
      const s = e.reduce((a, b) => a + b, 0);
      e.forEach((a, c) => (out[r * N! + c] = a / s));
    }
    return { y: out };
  },
  // BLOCK covers the row, so only the warps that share it are tuned.
  tuning: { spaces: { default: { params: { numWarps: [1, 2, 4, 8, 16, 32] }, where: (c, { values: { N } }) => (c.numWarps as number) * 32 <= Math.max(32, nextPowerOf2(N as number)) } } },
  flops: ({ M, N }) => 5 * M! * N!,
  bytes: ({ M, N }, dtype) => 2 * M! * N! * bytesOf(dtype),
});
