// Shared-memory allocation: gives every op that needs shared memory a byte offset (`allocation.offset`) and the
// module its total (`ttg.shared`). Scratch space lives only while its op runs; a local_alloc buffer lives until
// the last use of its memdesc (to the end of a loop that uses it, if it was made before the loop). Buffers
// whose lifetimes do not overlap share space.
import type { Operation } from '../ir/core.ts';
import { NvmmaSharedLayout } from '../ir/layouts.ts';
import { MemDescType } from '../ir/types.ts';
import { allocBytes, scratchBytes } from '../gpu/shared-memory.ts';
import type { Pass } from './pass-manager.ts';

/**
 * Alignment of a buffer: 16 bytes (vector accesses), or for the swizzled layouts the tensor cores read, the
 * period of the swizzle (8 rows of the swizzle width), since the hardware swizzles absolute addresses.
 */
function alignmentOf(op: Operation): number {
  const t = op.name === 'ttg.local_alloc' ? op.result.type : undefined;
  if (t instanceof MemDescType && t.encoding instanceof NvmmaSharedLayout) return Math.max(16, 8 * t.encoding.swizzlingByteWidth);
  return 16;
}

interface Interval {
  readonly op: Operation;
  readonly bytes: number;
  readonly align: number;
  readonly start: number;
  end: number;
  offset?: number;
}

function allocateFunction(fn: Operation): number {
  const index = new Map<Operation, number>();
  const loops: { op: Operation; start: number; end: number }[] = [];
  let n = 0;
  const number = (op: Operation): void => {
    index.set(op, n++);
    const start = n;
    for (const r of op.regions) for (const b of r.blocks) for (const inner of b.ops) number(inner);
    if (op.name === 'scf.for' || op.name === 'scf.while') loops.push({ op, start, end: n - 1 });
  };
  for (const op of fn.regions[0]!.entry.ops) number(op);

  const intervals: Interval[] = [];
  fn.walk((op) => {
    const i = index.get(op);
    if (i === undefined) return;
    if (op.name === 'ttg.local_alloc') intervals.push({ op, bytes: allocBytes(op), align: alignmentOf(op), start: i, end: i });
    else {
      const bytes = scratchBytes(op);
      if (bytes > 0) intervals.push({ op, bytes, align: 16, start: i, end: i });
    }
  });
  // A buffer lives until its last use, and through every loop that uses it but began after it was made.
  fn.walk((user) => {
    const u = index.get(user)!;
    for (const v of user.operands) {
      const iv = intervals.find((x) => x.op.name === 'ttg.local_alloc' && x.op.result === v);
      if (!iv) continue;
      let end = u;
      for (const l of loops) if (l.start <= u && u <= l.end && iv.start < l.start) end = Math.max(end, l.end);
      iv.end = Math.max(iv.end, end);
    }
  });
  let total = 0;
  const placed: Interval[] = [];
  for (const iv of [...intervals].sort((a, b) => a.start - b.start || b.bytes - a.bytes)) {
    const overlapping = placed.filter((p) => p.start <= iv.end && iv.start <= p.end).sort((a, b) => a.offset! - b.offset!);
    let offset = 0;
    for (const p of overlapping) {
      if (offset + iv.bytes <= p.offset!) break;
      offset = Math.max(offset, Math.ceil((p.offset! + p.bytes) / iv.align) * iv.align);
    }
    iv.offset = offset;
    placed.push(iv);
    iv.op.attrs['allocation.offset'] = offset;
    total = Math.max(total, offset + iv.bytes);
  }
  return total;
}

export const allocateSharedMemoryPass: Pass = {
  name: 'allocate-shared-memory',
  run(module: Operation): Operation {
    let total = 0;
    for (const fn of module.regions[0]!.entry.ops) total = Math.max(total, allocateFunction(fn));
    module.attrs['ttg.shared'] = total;
    return module;
  },
};
