// A linear layer: C = leakyRelu(A @ B + bias), the matmul of matmul.ts with its epilogue fused (the bias added
// per column, then max(x, SLOPE * x)), so that the result is written once. On tensor cores the epilogue runs on
// the accumulator before it is stored; it should cost next to nothing against the plain matmul.
import { cdiv, defineSpec, empty, kernel, tl, type Ptr, type i32, type constexpr } from 'kt';
import { randomTensor } from './common.ts';
import { matmulTile, spec as matmulSpec } from './matmul.ts';

export const linear = kernel(function linear(
  a: Ptr,
  b: Ptr,
  bias: Ptr,
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
  SLOPE: constexpr = 0.01,
) {
  const [acc, offsCm, offsCn] = matmulTile(a, b, M, N, K, strideAm, strideAk, strideBk, strideBn, BLOCK_M, BLOCK_N, BLOCK_K, GROUP_M, 'ieee', false);
  const shifted = acc + tl.expandDims(tl.load(bias + offsCn, { mask: offsCn < N, other: 0 }), 0);
  const activated = tl.where(shifted >= 0, shifted, SLOPE * shifted);
  const cPtrs = c + strideCm * tl.expandDims(offsCm, 1) + strideCn * tl.expandDims(offsCn, 0);
  tl.store(cPtrs, activated, { mask: tl.expandDims(offsCm, 1) < M && tl.expandDims(offsCn, 0) < N });
});

const leakyRelu = (x: number): number => (x >= 0 ? x : 0.01 * x);

export const spec = defineSpec({
  name: 'linear',
  description: 'C = leakyRelu(A @ B + bias) for A: M x K, B: K x N and an f32 bias of N, accumulating in f32',
  kernels: [linear],
  sizes: matmulSpec.sizes,
  testSizes: matmulSpec.testSizes,
  dtypes: matmulSpec.dtypes,
  config: matmulSpec.config,
  inputs: ({ M, N, K }, dtype, rng) => ({
    a: randomTensor([M!, K!], dtype, rng),
    b: randomTensor([K!, N!], dtype, rng),
    bias: randomTensor([N!], 'f32', rng),
    c: empty([M!, N!], dtype),
  }),
  launch: ({ a, b, bias, c }, { M, N, K }, config) => {
    const grid = (meta: Record<string, unknown>) => [cdiv(M!, meta.BLOCK_M as number) * cdiv(N!, meta.BLOCK_N as number)];
    linear(grid, a, b, bias, c, M, N, K, a.stride(0), a.stride(1), b.stride(0), b.stride(1), c.stride(0), c.stride(1), config);
  },
  reference: (inputs, sizes) => {
    const product = matmulSpec.reference(inputs, sizes)['c'] as Float64Array;
    const bias = inputs.bias.toNumbers();
    return { c: product.map((x, i) => leakyRelu(x + bias[i % sizes.N!]!)) };
  },
  referenceAt: (inputs, sizes) => {
    const product = matmulSpec.referenceAt!(inputs, sizes)['c']!;
    const bias = inputs.bias.toNumbers();
    return { c: (index) => leakyRelu(product(index) + bias[index % sizes.N!]!) };
  },
  tuning: matmulSpec.tuning,
  tolerance: matmulSpec.tolerance,
  flops: matmulSpec.flops,
  bytes: ({ M, N, K }, dtype) => matmulSpec.bytes!({ M, N, K }, dtype) + 4 * N!,
});
