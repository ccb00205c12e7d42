// devicePrint and deviceAssert: run-time printing and checks, per element, with the program id; tl.assume, a
// promise the interpreter checks; tl.debugBarrier.
import { dtypes } from './dtype.ts';
import { SemanticError } from './errors.ts';
import type { Semantic } from './semantic.ts';
import type { TValue } from './values.ts';

export function devicePrint(s: Semantic, prefix: string, values: TValue[], hex: boolean): void {
  for (const a of values) if (a.type.isPointer) throw new SemanticError('devicePrint cannot print pointers');
  // fp8 values print as the f32 that holds them exactly (printf has no 8-bit float format).
  const args = values.map((a) => (a.type.dtype.isFp8 ? s.cast(a, dtypes.f32) : a));
  const isSigned = args.map((a) => (a.type.dtype.isSigned ? 1 : 0));
  s.b.create('tt.print', args.map((a) => a.ir), [], { prefix, hex, isSigned });
}

export function deviceAssert(s: Semantic, cond: TValue, message: string): void {
  s.b.create('tt.assert', [s.toBool(cond).ir], [], { message });
}

/** A promise that `cond` holds: the interpreter checks it (a false one stops the launch, as deviceAssert); the GPU backend drops it. */
export function assume(s: Semantic, cond: TValue): void {
  s.b.create('tt.assume', [s.toBool(cond).ir], []);
}

/** Every thread of the program waits for the others (bar.sync): their memory accesses before it come before those after it. */
export function debugBarrier(s: Semantic): void {
  s.b.create('gpu.barrier', [], []);
}
