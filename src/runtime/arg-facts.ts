// The facts of a launch's argument values (see compiler/arg-facts.ts), computed from the values: shared by kt's
// kernels and the bundle runtime, which must not load the compiler.
import type { ArgFact } from '../compiler/arg-facts.ts';
import { Tensor } from './tensor.ts';

export { factsKey, type ArgFact } from '../compiler/arg-facts.ts';

/** What argument values tell the GPU compiler: divisibility by 16 (addresses for tensors) and equality to 1. */
export function argumentFacts(values: readonly unknown[]): ArgFact[] {
  return values.map((v) => {
    // A CPU tensor (compiling without a launch) counts from its allocation's start, as GPU memory would.
    if (v instanceof Tensor) return { divisibleBy16: v.aligned16, equalsOne: false };
    if (typeof v === 'number') return { divisibleBy16: Number.isInteger(v) && v % 16 === 0, equalsOne: v === 1 };
    if (typeof v === 'bigint') return { divisibleBy16: v % 16n === 0n, equalsOne: v === 1n };
    return { divisibleBy16: false, equalsOne: false };
  });
}
