// Vector addition: the "hello world" of kernels (Triton tutorial 01).
import { cdiv, defineSpec, kernel, tl, empty, type Ptr, type i32, type constexpr } from 'kt';
import { bytesOf, randomTensor } from './common.ts';

export const add = kernel(function add(x: Ptr, y: Ptr, out: Ptr, n: i32, BLOCK: constexpr) {
  const pid = tl.programId(0);
  const offs = pid * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const a = tl.load(x + offs, { mask });
  const b = tl.load(y + offs, { mask });
  tl.store(out + offs, a + b, { mask });
});

export const spec = defineSpec({
  name: 'add',
  description: 'out = x + y, elementwise',
  kernels: [add],
  sizes: { N: 98432 },
  testSizes: [{ N: 1 }, { N: 1000 }, { N: 4097 }],
  dtypes: ['f32', 'f16', 'bf16', 'i32', 'f64'],
  config: { BLOCK: 1024 },
  inputs: ({ N }, dtype, rng) => ({ x: randomTensor(N!, dtype, rng), y: randomTensor(N!, dtype, rng), out: empty([N!], dtype) }),
  launch: ({ x, y, out }, { N }, config) => add([cdiv(N!, config.BLOCK as number)], x, y, out, N, config),
  reference: ({ x, y }) => {
    const [a, b] = [x.toNumbers(), y.toNumbers()];
    return { out: a.map((v, i) => v + b[i]!) };
  },
  flops: ({ N }) => N!,
  bytes: ({ N }, dtype) => 3 * N! * bytesOf(dtype),
});
