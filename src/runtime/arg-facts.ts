// What a launch's argument values tell the compiler beyond their types, in the part of a specialisation's key
// that both the compiler and kernels shipped ahead of time (bundles) compute: a pointer or integer divisible by
// 16 (vector accesses), an integer equal to 1 (a stride that vanishes). Kept apart from the compiler so that the
// bundle runtime can compute it without loading it.
import { Tensor } from './tensor.ts';

export interface ArgFact {
  /** The value (for a pointer: the address in bytes) is a multiple of 16. */
  readonly divisibleBy16: boolean;
  /** An integer equal to 1. */
  readonly equalsOne: boolean;
}

/** The facts of a launch's runtime argument values, in order. */
export function argumentFacts(values: readonly unknown[]): ArgFact[] {
  return values.map((v) => {
    // A CPU tensor (compiling without a launch) counts from its allocation's start, as GPU memory would.
    if (v instanceof Tensor) return { divisibleBy16: v.aligned16, equalsOne: false };
    if (typeof v === 'number') return { divisibleBy16: Number.isInteger(v) && v % 16 === 0, equalsOne: v === 1 };
    if (typeof v === 'bigint') return { divisibleBy16: v % 16n === 0n, equalsOne: v === 1n };
    return { divisibleBy16: false, equalsOne: false };
  });
}

/** The facts' part of a specialisation key: `d` divisible by 16, `1` equal to one, `-` nothing known. */
export function factsKey(facts: readonly ArgFact[]): string {
  return facts.map((f) => (f.equalsOne ? '1' : f.divisibleBy16 ? 'd' : '-')).join('');
}
