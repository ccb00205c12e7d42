// Helper functions in a file of their own, imported by kernels in features.test.ts.
import { tl, type constexpr } from 'kt';

export function cube(v: number): number {
  return v * v * v;
}

export function sumOfSquares(v: number, BLOCK: constexpr): number {
  tl.staticAssert(BLOCK > 0);
  return tl.sum(v * v, 0);
}
