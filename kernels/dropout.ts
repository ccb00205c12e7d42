// Seeded dropout (Triton tutorial 04): keeps each element with probability 1 - p, scaled by 1 / (1 - p).
// The mask comes from Philox random numbers of (seed, offset), so it is never stored and is reproducible.
import { cdiv, defineSpec, empty, kernel, tl, type Ptr, type f32, type i32, type constexpr } from 'kt';
import { bytesOf, randomTensor } from './common.ts';

export const dropout = kernel(function dropout(x: Ptr, out: Ptr, n: i32, p: f32, seed: i32, BLOCK: constexpr) {
  const pid = tl.programId(0);
  const offs = pid * BLOCK + tl.arange(0, BLOCK);
  const mask = offs < n;
  const v = tl.load(x + offs, { mask });
  const keep = tl.rand(seed, offs) > p;
  tl.store(out + offs, tl.where(keep, v / (1 - p), 0.0), { mask });
});

// An independent Philox 4x32-10 in plain TypeScript, to check the kernel's random numbers bit for bit.
function mulhi(a: number, b: number): number {
  return Number((BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n) >>> 0;
}

/** The first Philox output for (seed, counter), as tl.randint gives it. */
export function philox(seed: number, counter: number): number {
  let [c0, c1, c2, c3] = [counter >>> 0, 0, 0, 0];
  let [k0, k1] = [seed >>> 0, seed < 0 ? 0xffffffff : 0];
  for (let r = 0; r < 10; r++) {
    const [p0, p2] = [c0, c2];
    c0 = (mulhi(0xcd9e8d57, p2) ^ c1 ^ k0) >>> 0;
    c2 = (mulhi(0xd2511f53, p0) ^ c3 ^ k1) >>> 0;
    c1 = Math.imul(0xcd9e8d57, p2) >>> 0;
    c3 = Math.imul(0xd2511f53, p0) >>> 0;
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  return c0;
}

/** tl.rand's mapping of random bits to [0, 1). */
export function uniform(bits: number): number {
  const i = bits | 0;
  return Math.fround(Math.fround(i < 0 ? -i - 1 : i) * Math.fround(4.656613e-10));
}

const P = 0.5;
const SEED = 1234;

export const spec = defineSpec({
  name: 'dropout',
  description: 'seeded dropout: keep each element with probability 1 - p, scaled by 1 / (1 - p)',
  kernels: [dropout],
  sizes: { N: 98432 },
  testSizes: [{ N: 1 }, { N: 1000 }, { N: 3333 }],
  dtypes: ['f32', 'f16', 'bf16'],
  config: { BLOCK: 1024 },
  inputs: ({ N }, dtype, rng) => ({ x: randomTensor(N!, dtype, rng), out: empty([N!], dtype) }),
  launch: ({ x, out }, { N }, config) => dropout([cdiv(N!, config.BLOCK as number)], x, out, N, P, SEED, config),
  reference: ({ x }) => ({ out: x.toNumbers().map((v, i) => (uniform(philox(SEED, i)) > P ? v / (1 - P) : 0)) }),
  flops: ({ N }) => N!,
  bytes: ({ N }, dtype) => 2 * N! * bytesOf(dtype),
});
