// Runs passes in order over a module, verifying the IR after each one so that a broken pass is caught
// where it breaks things. A pass is a function from IR to IR; passes here rewrite the module in place.
import type { Operation } from '../ir/core.ts';
import { printOp } from '../ir/printer.ts';
import { verify } from '../ir/verifier.ts';

export interface Pass {
  readonly name: string;
  run(module: Operation): Operation;
}

export interface PassManagerOptions {
  /** Verify after every pass (on by default). */
  verifyEach?: boolean;
  /** Called with the IR text after each pass (for `--print-ir-after-all`). */
  printAfter?: (passName: string, irText: string) => void;
}

export function runPasses(module: Operation, passes: readonly Pass[], options: PassManagerOptions = {}): Operation {
  let m = module;
  for (const p of passes) {
    m = p.run(m);
    if (options.verifyEach ?? true) verify(m);
    options.printAfter?.(p.name, printOp(m));
  }
  return m;
}

/** The functions of a module. */
export function functionsOf(module: Operation): Operation[] {
  return module.regions[0]!.entry.ops.filter((op) => op.name === 'tt.func');
}
