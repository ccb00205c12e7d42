// Specialisation on argument values, as Triton does it: a pointer or integer argument known to be divisible by
// 16 is recorded in the kernel's `tt.divisibility` attribute (which seeds the axis analysis, so that loads
// and stores through it can be vectorised), and an integer argument equal to 1 becomes the constant 1 (so
// that `offs * stride` with stride 1 folds away and the access is known to be contiguous). The argument
// stays in the signature; the launcher still passes it.
import { Builder } from '../ir/builder.ts';
import type { Operation } from '../ir/core.ts';
import { IntType, PointerType } from '../ir/types.ts';
import type { ArgFact } from '../arg-facts.ts';
import type { Pass } from './pass-manager.ts';

export { factsKey, type ArgFact } from '../arg-facts.ts';


export function specializeArguments(facts: readonly ArgFact[]): Pass {
  return {
    name: 'specialize-arguments',
    run(module: Operation): Operation {
      for (const fn of module.regions[0]!.entry.ops) {
        if (fn.name !== 'tt.func' || fn.attrs['sym_visibility'] === 'private') continue;
        const entry = fn.regions[0]!.entry;
        if (facts.length !== entry.args.length) throw new Error(`specialize-arguments: ${facts.length} facts for ${entry.args.length} arguments`);
        fn.attrs['tt.divisibility'] = entry.args.map((a, i) => (facts[i]!.divisibleBy16 && (a.type instanceof PointerType || a.type instanceof IntType) ? 16 : 1));
        const b = new Builder(entry, fn.loc);
        b.before = entry.ops[0];
        entry.args.forEach((a, i) => {
          if (!facts[i]!.equalsOne || !(a.type instanceof IntType) || a.type.width === 1) return;
          const one = b.constant(1, a.type);
          fn.walk((op) => {
            if (op !== one.definingOp) op.operands = op.operands.map((v) => (v === a ? one : v));
          });
        });
      }
      return module;
    },
  };
}
