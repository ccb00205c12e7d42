import { parseModule } from '../../src/compiler/ir/parser.ts';
import { printOp } from '../../src/compiler/ir/printer.ts';
import { verify } from '../../src/compiler/ir/verifier.ts';
import type { Pass } from '../../src/compiler/passes/pass-manager.ts';

/** Parses IR text, runs a pass, verifies, and prints the result (without the module wrapper's indentation noise). */
export function runPass(pass: Pass | ((m: ReturnType<typeof parseModule>) => unknown), text: string): string {
  const m = parseModule(text);
  verify(m);
  if (typeof pass === 'function') pass(m);
  else pass.run(m);
  verify(m);
  return printOp(m);
}

/** Wraps function bodies in a module the way the printer prints them. */
export function mod(text: string): string {
  return `module {\n${text.trim().replace(/^/gm, '  ')}\n}\n`;
}
