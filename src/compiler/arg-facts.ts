// What a launch's argument values tell the compiler beyond their types (the specialize-arguments pass reads them),
// and the part of a specialisation's key they make. Free of imports, so that the runtime of kernels shipped ahead
// of time (bundles) computes the same key without loading the compiler.

/** What a launch's argument values tell the compiler (one per run-time argument of the kernel). */
export interface ArgFact {
  /** The value (for a pointer: the address in bytes) is a multiple of 16. */
  readonly divisibleBy16: boolean;
  /** An integer equal to 1. */
  readonly equalsOne: boolean;
}

/** The facts' part of a specialisation key: `d` divisible by 16, `1` equal to one, `-` nothing known. */
export function factsKey(facts: readonly ArgFact[]): string {
  return facts.map((f) => (f.equalsOne ? '1' : f.divisibleBy16 ? 'd' : '-')).join('');
}
