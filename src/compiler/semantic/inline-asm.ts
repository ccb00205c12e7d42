// tl.inlineAsmElementwise (Triton's inline_asm_elementwise): PTX mapped over tiles. The arguments are broadcast to
// one shape (keeping their dtypes: the asm reads their bits), the results take that shape and the dtypes asked for,
// and one tt.elementwise_inline_asm carries the asm to the GPU backend, which alone can run it.
import { checkInlineAsm } from '../ir/inline-asm.ts';
import type { DType } from './dtype.ts';
import { SemanticError } from './errors.ts';
import type { Semantic } from './semantic.ts';
import { KType, TValue, elementIr } from './values.ts';

export interface InlineAsmRequest {
  readonly asm: string;
  readonly constraints: string;
  readonly args: readonly TValue[];
  readonly dtypes: readonly DType[];
  readonly isPure: boolean;
  readonly pack: number;
}

/** The results of the asm, one per dtype. */
export function inlineAsmElementwise(s: Semantic, r: InlineAsmRequest): TValue[] {
  const shape = r.args.reduce<number[]>((acc, a) => s.broadcastShapes(acc, a.type.shape), []);
  const args = r.args.map((a) => s.broadcastTo(a, shape));
  const problem = checkInlineAsm(
    r.asm,
    r.constraints,
    r.pack,
    r.dtypes.map((d) => d.ir),
    args.map((a) => elementIr(a.type.element)),
  );
  if (problem) {
    const aboutCounts = /constraints have/.test(problem);
    throw new SemanticError(`inlineAsmElementwise: ${problem}`, aboutCounts ? 'one constraint per register, outputs first ("=r,r,r"); elements narrower than 32 bits share a register, min(32 / bits, pack) of them' : undefined);
  }
  const types = r.dtypes.map((d) => new KType(d, shape));
  const op = s.b.create(
    'tt.elementwise_inline_asm',
    args.map((a) => a.ir),
    types.map((t) => t.ir),
    { asm_string: r.asm, constraints: r.constraints, pure: r.isPure, packed_element: r.pack },
  );
  return op.results.map((v, i) => new TValue(v, types[i]!));
}
