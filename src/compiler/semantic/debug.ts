// devicePrint and deviceAssert: run-time printing and checks, per element, with the program id.
import { SemanticError } from './errors.ts';
import type { Semantic } from './semantic.ts';
import type { TValue } from './values.ts';

export function devicePrint(s: Semantic, prefix: string, args: TValue[], hex: boolean): void {
  for (const a of args) if (a.type.isPointer) throw new SemanticError('devicePrint cannot print pointers');
  const isSigned = args.map((a) => (a.type.dtype.isSigned ? 1 : 0));
  s.b.create('tt.print', args.map((a) => a.ir), [], { prefix, hex, isSigned });
}

export function deviceAssert(s: Semantic, cond: TValue, message: string): void {
  s.b.create('tt.assert', [s.toBool(cond).ir], [], { message });
}
