// Helpers shared by the library's specs.
import { Random, randn, tensor, type DTypeSpec, type Tensor, toDType } from 'kt';

/** A 1-D or shaped tensor of random values: normal floats, or small integers for integer dtypes. */
export function randomTensor(shape: number | readonly number[], dtype: DTypeSpec, rng: Random, scale = 1): Tensor {
  const dims = typeof shape === 'number' ? [shape] : shape;
  const d = toDType(dtype);
  if (d.isFloat) return randn(dims, { dtype: d, rng, scale });
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, () => Math.floor(rng.next() * 200) - 100), { dtype: d, shape: dims });
}

export function bytesOf(dtype: DTypeSpec): number {
  return toDType(dtype).bytes;
}

/** The smallest power of two >= n. */
export const nextPowerOf2 = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
