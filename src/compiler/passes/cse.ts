// Common subexpression elimination: a pure op identical to one that dominates it (same name, operands,
// attributes and result types) is replaced by that one. Values of enclosing blocks dominate nested regions.
import { attributesEqual, formatAttribute } from '../ir/attributes.ts';
import { replaceUses, type Block, type Operation, type Value } from '../ir/core.ts';
import { hasTrait } from '../ir/ops.ts';
import type { Pass } from './pass-manager.ts';

function key(op: Operation): string {
  const attrs = Object.keys(op.attrs)
    .sort()
    .map((k) => `${k}=${formatAttribute(op.attrs[k]!)}`)
    .join(',');
  return `${op.name}(${op.operands.map((v) => v.id).join(',')}){${attrs}}:${op.results.map((r) => r.type.text).join(',')}`;
}

function cseBlock(block: Block, seen: Map<string, Operation>, replaced: Map<Value, Value>): void {
  const local = new Map(seen);
  for (const op of [...block.ops]) {
    for (let i = 0; i < op.operands.length; i++) op.operands[i] = replaced.get(op.operands[i]!) ?? op.operands[i]!;
    if (op.regions.length) {
      for (const r of op.regions) for (const b of r.blocks) cseBlock(b, local, replaced);
      continue;
    }
    if (!hasTrait(op, 'pure') || hasTrait(op, 'terminator')) continue;
    const k = key(op);
    const prev = local.get(k);
    if (prev && attributesEqual(prev.attrs, op.attrs)) {
      op.results.forEach((r, i) => replaced.set(r, prev.results[i]!));
      op.erase();
    } else {
      local.set(k, op);
    }
  }
}

export function cse(module: Operation): Operation {
  const replaced = new Map<Value, Value>();
  for (const fn of module.regions[0]!.entry.ops) {
    for (const r of fn.regions) for (const b of r.blocks) cseBlock(b, new Map(), replaced);
  }
  replaceUses(module, replaced);
  return module;
}

export const csePass: Pass = { name: 'cse', run: cse };
