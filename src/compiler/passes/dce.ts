// Dead code elimination: removes ops whose results are unused and that have no effect, including
// structured ops (scf.if, scf.for, scf.while) whose bodies have none. Unused private functions go too.
import { collectUses, type Operation } from '../ir/core.ts';
import { hasTrait } from '../ir/ops.ts';
import type { Pass } from './pass-manager.ts';
import { functionsOf } from './pass-manager.ts';

/** True when removing `op` (if its results are unused) changes nothing observable. */
export function isRemovable(op: Operation): boolean {
  if (hasTrait(op, 'terminator')) return false;
  if (hasTrait(op, 'pure')) return true;
  if (op.name === 'tt.load') return op.attrs['isVolatile'] !== true;
  // Inline asm declared pure (isPure) computes only its results; other asm may touch memory.
  if (op.name === 'tt.elementwise_inline_asm') return op.attrs['pure'] === true;
  if (op.name === 'scf.if' || op.name === 'scf.for' || op.name === 'scf.while') {
    let ok = true;
    for (const r of op.regions) for (const b of r.blocks) for (const inner of b.ops) if (!hasTrait(inner, 'terminator') && !isRemovable(inner)) ok = false;
    return ok;
  }
  return false;
}

export function dce(module: Operation): Operation {
  for (;;) {
    const uses = collectUses(module);
    let removed = false;
    module.walk((op) => {
      if (!op.parent || !isRemovable(op)) return;
      if (op.results.every((r) => !uses.has(r))) {
        op.erase();
        removed = true;
      }
    });
    if (!removed) break;
  }
  const called = new Set<string>();
  module.walk((op) => {
    if (op.name === 'tt.call') called.add((op.attrs['callee'] as { name: string }).name);
  });
  for (const fn of functionsOf(module)) {
    if (fn.attrs['sym_visibility'] === 'private' && !called.has(fn.attrs['sym_name'] as string)) fn.erase();
  }
  return module;
}

export const dcePass: Pass = { name: 'dce', run: dce };
