// Layer normalisation, forward (Triton tutorial 05): y = (x - mean) / sqrt(var + eps) * w + b per row,
// also storing each row's mean and 1/std for a backward pass.
import { defineSpec, empty, kernel, tl, type Ptr, type f32, type i32, type constexpr } from 'kt';
import { bytesOf, nextPowerOf2, randomTensor } from './common.ts';

export const layernorm = kernel(function layernorm(x: Ptr, y: Ptr, w: Ptr, b: Ptr, mean: Ptr<f32>, rstd: Ptr<f32>, stride: i32, N: i32, eps: f32, BLOCK: constexpr) {
  const row = tl.programId(0);
  const xRow = x + row * stride;
  const yRow = y + row * stride;
  let sum = tl.zeros([BLOCK], tl.float32);
  for (let off = 0; off < N; off += BLOCK) {
    const cols = off + tl.arange(0, BLOCK);
    sum += tl.load(xRow + cols, { mask: cols < N, other: 0 }).to(tl.float32);
  }
  const m = tl.sum(sum, 0) / N;
  let sq = tl.zeros([BLOCK], tl.float32);
  for (let off = 0; off < N; off += BLOCK) {
    const cols = off + tl.arange(0, BLOCK);
    const v = tl.load(xRow + cols, { mask: cols < N, other: 0 }).to(tl.float32);
    const d = tl.where(cols < N, v - m, 0.0);
    sq += d * d;
  }
  const r = 1 / tl.sqrt(tl.sum(sq, 0) / N + eps);
  tl.store(mean + row, m);
  tl.store(rstd + row, r);
  for (let off = 0; off < N; off += BLOCK) {
    const cols = off + tl.arange(0, BLOCK);
    const mask = cols < N;
    const v = tl.load(xRow + cols, { mask, other: 0 }).to(tl.float32);
    const out = (v - m) * r * tl.load(w + cols, { mask }) + tl.load(b + cols, { mask });
    tl.store(yRow + cols, out, { mask });
  }
});

const EPS = 1e-5;

export const spec = defineSpec({
  name: 'layernorm',
  description: 'layer normalisation of each row of an M x N matrix, with weight and bias',
  kernels: [layernorm],
  sizes: { M: 1151, N: 8192 },
  testSizes: [{ M: 1, N: 1 }, { M: 7, N: 300 }, { M: 5, N: 2049 }],
  dtypes: ['f32', 'f16', 'bf16'],
  config: { BLOCK: 1024 },
  inputs: ({ M, N }, dtype, rng) => ({
    x: randomTensor([M!, N!], dtype, rng, 2),
    w: randomTensor([N!], dtype, rng),
    b: randomTensor([N!], dtype, rng),
    y: empty([M!, N!], dtype),
    mean: empty([M!], 'f32'),
    rstd: empty([M!], 'f32'),
  }),
  launch: ({ x, y, w, b, mean, rstd }, { M, N }, config) => layernorm([M!], x, y, w, b, mean, rstd, x.stride(0), N, EPS, config),
  reference: ({ x, w, b }, { M, N }) => {
    const [xv, wv, bv] = [x.toNumbers(), w.toNumbers(), b.toNumbers()];
    const y = new Float64Array(M! * N!);
    const mean = new Float64Array(M!);
    const rstd = new Float64Array(M!);
    for (let r = 0; r < M!; r++) {
      const row = xv.slice(r * N!, (r + 1) * N!);
      const m = row.reduce((p, q) => p + q, 0) / N!;
      const v = row.reduce((p, q) => p + (q - m) ** 2, 0) / N!;
      const s = 1 / Math.sqrt(v + EPS);
      mean[r] = m;
      rstd[r] = s;
      row.forEach((q, c) => (y[r * N! + c] = (q - m) * s * wv[c]! + bv[c]!));
    }
    return { y, mean, rstd };
  },
  tuning: {
    spaces: {
      default: {
        params: { BLOCK: [256, 512, 1024, 2048, 4096, 8192], numWarps: [1, 2, 4, 8, 16] },
        // A block no longer than the row needs, and at least one element per thread.
        where: (c, { values: { N } }) => (c.BLOCK as number) <= Math.max(256, nextPowerOf2(N as number)) && (c.numWarps as number) * 32 <= (c.BLOCK as number),
      },
    },
  },
  flops: ({ M, N }) => 8 * M! * N!,
  bytes: ({ M, N }, dtype) => (2 * M! * N! + 2 * N!) * bytesOf(dtype) + 8 * M!,
});
