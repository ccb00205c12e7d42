// Barrier insertion: threads exchange data through shared memory, so an op that writes a range another op has
// read or written since the last barrier (or reads a range written since then) must wait for every thread
// first. Walks each block in order, tracking the accesses since the last barrier, and inserts gpu.barrier
// where one is needed. Ops that exchange data through scratch space synchronise inside themselves (write,
// barrier, read), so only their first write and last read matter here. Loops are handled conservatively: a
// loop body that touches shared memory starts with a barrier, and is assumed to leave any access pending.
import { Operation, type Block } from '../ir/core.ts';
import { allocBytes, scratchBytes } from '../gpu/shared-memory.ts';
import type { Pass } from './pass-manager.ts';

interface Access {
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
}

const everything: Access = { start: 0, end: Infinity, write: true };

function rangeOf(op: Operation, bytes: number, write: boolean): Access {
  const start = op.attrs['allocation.offset'] as number;
  return { start, end: start + bytes, write };
}

/** What an op does to shared memory: accesses before it starts, and accesses it leaves pending. */
function accesses(op: Operation): { first: Access[]; last: Access[] } {
  if (op.name === 'ttg.local_alloc') {
    const w = rangeOf(op, allocBytes(op), true);
    return { first: [w], last: [w] };
  }
  if (op.name === 'tt.dot' || op.name === 'ttg.local_load') {
    const reads = op.operands
      .map((v) => v.definingOp)
      .filter((d): d is Operation => d?.name === 'ttg.local_alloc')
      .map((d) => rangeOf(d, allocBytes(d), false));
    return { first: reads, last: reads };
  }
  const bytes = scratchBytes(op);
  if (bytes > 0) return { first: [rangeOf(op, bytes, true)], last: [rangeOf(op, bytes, false)] };
  return { first: [], last: [] };
}

const overlaps = (a: Access, b: Access): boolean => a.start < b.end && b.start < a.end && (a.write || b.write);

function touchesSharedMemory(op: Operation): boolean {
  let found = false;
  op.walk((o) => {
    if (o !== op && (accesses(o).first.length || o.name === 'gpu.barrier')) found = true;
  });
  return found;
}

function barrier(before: Operation): void {
  before.parent!.insertBefore(before, new Operation('gpu.barrier', [], [], {}, [], before.loc));
}

function visitBlock(block: Block, pending: Access[]): Access[] {
  let p = pending;
  for (const op of [...block.ops]) {
    if (op.name === 'gpu.barrier') {
      p = [];
      continue;
    }
    if (op.regions.length && touchesSharedMemory(op)) {
      if (p.length) barrier(op);
      for (const r of op.regions) {
        for (const b of r.blocks) {
          // Each iteration or branch starts after a barrier (placed at its top).
          const first = b.ops[0];
          if (first && (op.name === 'scf.for' || op.name === 'scf.while')) barrier(first);
          visitBlock(b, []);
        }
      }
      p = [everything];
      continue;
    }
    const { first, last } = accesses(op);
    if (first.some((a) => p.some((q) => overlaps(a, q)))) {
      barrier(op);
      p = [];
    }
    p = [...p, ...last];
  }
  return p;
}

export const insertBarriersPass: Pass = {
  name: 'insert-barriers',
  run(module: Operation): Operation {
    for (const fn of module.regions[0]!.entry.ops) visitBlock(fn.regions[0]!.entry, []);
    return module;
  },
};
