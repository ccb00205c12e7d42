// Coalescing: gives each load, store and atomic the layout under which the threads of a warp touch consecutive
// memory, each thread `vec` consecutive elements (up to 16 bytes) where the axis analysis proves the
// addresses contiguous and aligned enough, so that the lowering can issue vector accesses (ld.global.v4).
// Operands are converted into that layout and the result back out of it; remove-layout-conversions then
// propagates the layout and drops the conversions it can.
import { convertLayout } from '../ir/builder.ts';
import { Operation, type Value } from '../ir/core.ts';
import { pointeeBytes } from '../ir/elementwise.ts';
import type { Layout } from '../ir/layouts.ts';
import { PointerType, TensorType, withEncoding } from '../ir/types.ts';
import { AxisAnalysis } from '../gpu/axis-info.ts';
import { WARP_SIZE, blockedFor } from '../gpu/layout-choice.ts';
import type { Pass } from './pass-manager.ts';

const memoryOps = new Set(['tt.load', 'tt.store', 'tt.atomic_rmw', 'tt.atomic_cas']);

/** The layout under which `op` accesses memory best, from what the analysis knows of its pointers. */
export function coalescedLayout(op: Operation, axis: AxisAnalysis, numWarps: number): Layout {
  const ptr = op.operands[0]!;
  const t = ptr.type as TensorType;
  const info = axis.get(ptr);
  const rank = t.shape.length;
  // Most contiguous dimension first; on ties the later dimension (row-major).
  const order = Array.from({ length: rank }, (_, i) => rank - 1 - i).sort((a, b) => info.contiguity[b]! - info.contiguity[a]!);
  const fastest = order[0]!;
  const bytes = pointeeBytes(t.element as PointerType);
  let vec = 1;
  if (op.name === 'tt.load' || op.name === 'tt.store') {
    const alignment = Math.max(1, Math.floor(info.divisibility[fastest]! / bytes));
    vec = Math.min(info.contiguity[fastest]!, Math.max(1, 16 / bytes), alignment);
    // Use every thread before giving one thread several elements.
    vec = Math.min(vec, Math.max(1, t.numel / (WARP_SIZE * numWarps)));
  }
  return blockedFor(t.shape, numWarps, order, vec);
}

function convertTo(before: Operation, v: Value, l: Layout): Value {
  const t = v.type as TensorType;
  if (t.encoding === l) return v;
  return before.parent!.insertBefore(before, convertLayout(v, l, before.loc)).result;
}

export const coalescePass: Pass = {
  name: 'coalesce',
  run(module: Operation): Operation {
    const numWarps = module.attrs['ttg.num-warps'] as number;
    for (const fn of module.regions[0]!.entry.ops) {
      const axis = new AxisAnalysis(fn);
      const ops: Operation[] = [];
      fn.walk((op) => {
        if (memoryOps.has(op.name) && op.operands[0]!.type instanceof TensorType) ops.push(op);
      });
      const replace = new Map<Value, Value>();
      for (const op of ops) {
        const l = coalescedLayout(op, axis, numWarps);
        // An operand an earlier memory op produced is read through that op's conversion back (see below).
        op.operands = op.operands.map((v) => convertTo(op, replace.get(v) ?? v, l));
        for (const r of op.results) {
          const old = r.type as TensorType;
          if (old.encoding === l) continue;
          r.type = withEncoding(old, l);
          // Uses keep the old layout through a conversion after the op.
          const back = op.parent!.insertAfter(op, convertLayout(r, old.encoding!, op.loc));
          replace.set(r, back.result);
        }
      }
      // Redirect uses to the conversions (but not the conversions' own operands).
      const backs = new Set([...replace.values()].map((v) => v.definingOp!));
      fn.walk((op) => {
        if (!backs.has(op)) op.operands = op.operands.map((v) => replace.get(v) ?? v);
      });
    }
    return module;
  },
};
