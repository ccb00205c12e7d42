// Barrier insertion: threads exchange data through shared memory, so an op that writes a range another op has
// read or written since the last barrier (or reads a range written since then) must wait for every thread
// first. Walks each block in order, tracking the accesses since the last barrier, and inserts gpu.barrier
// where one is needed. Ops that exchange data through scratch space synchronise inside themselves (write,
// barrier, read), so only their first write and last read matter here.
//
// Asynchronous accesses: an async copy (cp.async) writes its buffer when the async_wait covering it lets it land,
// so its write counts from that wait (a read after the wait needs a barrier, since other threads' copies landed
// at their own waits); it also must not start while reads of the buffer are pending (a barrier before it). A
// warp_group_dot reads its operands until its warp_group_dot_wait, which the read-then-write rule covers since
// the copies that reuse a buffer come after that wait.
//
// Loops are visited twice: once from the state before the loop, then from that state merged with the state at
// the end of the body (the previous iteration's accesses), so that a barrier goes at the top only when an
// iteration's first accesses conflict with the last ones of the iteration before.
import { Operation, type Block, type Value } from '../ir/core.ts';
import { allocBytes, scratchBytes } from '../gpu/shared-memory.ts';
import type { Pass } from './pass-manager.ts';

interface Access {
  readonly start: number;
  readonly end: number;
  readonly write: boolean;
}

interface State {
  /** Accesses since the last barrier. */
  readonly done: readonly Access[];
  /** Async copies started and not yet waited for: writes that land at the next async_wait. */
  readonly inFlight: readonly Access[];
}

const empty: State = { done: [], inFlight: [] };

function rangeOf(op: Operation, bytes: number, write: boolean): Access {
  const start = op.attrs['allocation.offset'] as number;
  return { start, end: start + bytes, write };
}

/** The allocation a memdesc value views (through memdesc_index), whose whole range stands for any of its slots. */
function allocationOf(v: Value): Operation | undefined {
  const def = v.definingOp;
  if (def?.name === 'ttg.memdesc_index') return allocationOf(def.operands[0]!);
  return def?.name === 'ttg.local_alloc' ? def : undefined;
}

const reads = (op: Operation): Access[] =>
  op.operands
    .map(allocationOf)
    .filter((d): d is Operation => d !== undefined)
    .map((d) => rangeOf(d, allocBytes(d), false));

/** What an op does to shared memory: accesses before it starts, accesses it leaves pending, and copies it starts. */
function accesses(op: Operation): { first: Access[]; last: Access[]; starts?: Access[] } {
  switch (op.name) {
    case 'ttg.local_alloc': {
      if (op.operands.length === 0) return { first: [], last: [] };
      const w = rangeOf(op, allocBytes(op), true);
      return { first: [w], last: [w] };
    }
    case 'tt.dot':
    case 'ttng.warp_group_dot':
    case 'ttg.local_load': {
      const r = reads(op);
      return { first: r, last: r };
    }
    case 'ttg.async_copy_global_to_local': {
      const w = reads(op).map((a) => ({ ...a, write: true }));
      return { first: w, last: [], starts: w };
    }
  }
  const bytes = scratchBytes(op);
  if (bytes > 0) return { first: [rangeOf(op, bytes, true)], last: [rangeOf(op, bytes, false)] };
  return { first: [], last: [] };
}

const overlaps = (a: Access, b: Access): boolean => a.start < b.end && b.start < a.end && (a.write || b.write);

function barrier(before: Operation): void {
  before.parent!.insertBefore(before, new Operation('gpu.barrier', [], [], {}, [], before.loc));
}

const merge = (a: State, b: State): State => ({ done: [...a.done, ...b.done], inFlight: [...a.inFlight, ...b.inFlight] });

function touchesSharedMemory(op: Operation): boolean {
  let found = false;
  op.walk((o) => {
    if (o !== op && (accesses(o).first.length || o.name === 'gpu.barrier' || o.name === 'ttg.async_wait')) found = true;
  });
  return found;
}

function visitBlock(block: Block, state: State): State {
  let s = state;
  for (const op of [...block.ops]) {
    if (op.name === 'gpu.barrier') {
      s = { done: [], inFlight: s.inFlight };
      continue;
    }
    if (op.name === 'ttg.async_wait') {
      s = { done: [...s.done, ...s.inFlight], inFlight: [] };
      continue;
    }
    if (op.regions.length && touchesSharedMemory(op)) {
      s = visitRegions(op, s);
      continue;
    }
    const { first, last, starts } = accesses(op);
    if (first.some((a) => s.done.some((q) => overlaps(a, q)))) {
      barrier(op);
      s = { done: [], inFlight: s.inFlight };
    }
    s = { done: [...s.done, ...last], inFlight: [...s.inFlight, ...(starts ?? [])] };
  }
  return s;
}

/** The state after an op with regions: branches from the same state, loops to their fixed point (two visits). */
function visitRegions(op: Operation, s: State): State {
  const blocks = op.regions.flatMap((r) => r.blocks);
  if (op.name === 'scf.for' || op.name === 'scf.while') {
    // The regions run in sequence (while: before, then after), again and again.
    const once = (from: State): State => blocks.reduce((acc, b) => visitBlock(b, acc), from);
    const end = once(s);
    return merge(s, once(merge(s, end)));
  }
  return blocks.map((b) => visitBlock(b, s)).reduce(merge, empty);
}

export const insertBarriersPass: Pass = {
  name: 'insert-barriers',
  run(module: Operation): Operation {
    for (const fn of module.regions[0]!.entry.ops) visitBlock(fn.regions[0]!.entry, empty);
    return module;
  },
};
