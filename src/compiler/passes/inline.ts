// Inlining: replaces every tt.call by a copy of the callee's body, so that a kernel is one function.
// Inlined ops keep their own source location with the call site appended (a callsite location), so that
// errors found later still point into the helper and say where it was called from.
import type { SymbolRefAttr } from '../ir/attributes.ts';
import { cloneOperation, inlinedAt, replaceUses, type Operation, type Value } from '../ir/core.ts';
import { functionsOf, type Pass } from './pass-manager.ts';

function inlineCall(module: Operation, call: Operation, callee: Operation): void {
  const body = callee.regions[0]!.entry;
  const mapping = new Map<Value, Value>();
  body.args.forEach((a, i) => mapping.set(a, call.operands[i]!));
  const block = call.parent!;
  let results: Value[] = [];
  for (const op of body.ops) {
    if (op.name === 'tt.return') {
      results = op.operands.map((v) => mapping.get(v) ?? v);
      continue;
    }
    block.insertBefore(call, cloneOperation(op, mapping, (l) => inlinedAt(l, call.loc)));
  }
  const replace = new Map<Value, Value>();
  call.results.forEach((r, i) => replace.set(r, results[i]!));
  call.erase();
  replaceUses(module, replace);
}

export function inline(module: Operation): Operation {
  const byName = new Map(functionsOf(module).map((f) => [f.attrs['sym_name'] as string, f]));
  // The frontend rejects recursion, so each round inlines one level of calls and the loop ends.
  for (let round = 0; round < 1000; round++) {
    const calls: Operation[] = [];
    module.walk((op) => {
      if (op.name === 'tt.call') calls.push(op);
    });
    if (!calls.length) break;
    for (const call of calls) {
      const name = (call.attrs['callee'] as SymbolRefAttr).name;
      const callee = byName.get(name);
      if (!callee) throw new Error(`tt.call to unknown function @${name}`);
      inlineCall(module, call, callee);
    }
  }
  // Helpers are private: once inlined everywhere, they go.
  for (const fn of functionsOf(module)) if (fn.attrs['sym_visibility'] === 'private') fn.erase();
  return module;
}

export const inlinePass: Pass = { name: 'inline', run: inline };
