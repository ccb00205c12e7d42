// pipeline-loads: software pipelining of the loads that feed tensor-core dots, driven by numStages (the launch
// option, or tl.range's numStages on the loop), as Triton's pipeliner does for its matmul loops.
//
// Schedule. In an scf.for whose body loads tiles only to copy them into shared memory for a tensor-core dot
// (a warp_group_dot reading the buffers, or an mma.sync tt.dot of registers local_load read from them), the loads of iteration i + S - 1 are issued while iteration i computes (S = numStages): stage 0 is the load
// (an asynchronous copy, cp.async, straight into one of S shared buffers), stage S - 1 the dot. A load can be
// moved ahead when what it reads is computed from the loop variable, values from before the loop and
// loop-carried values used for nothing else (the pointers, advanced each iteration); its `other` must be 0
// (the copy fills masked elements with zeros).
//
// Expand. Before the loop: the S buffers, and the loads of iterations 0 .. S-2 (masked off past the end),
// one commit group per iteration; the loop then carries the pointers S - 1 iterations ahead, and two slot
// counters. Each iteration: wait until its own group has landed (async_wait S - 2), run the dot on its slot
// (wgmma: asynchronously, then wait for the previous iteration's dot, so its slot is free; mma.sync reads the
// slot into registers before the dot), issue the loads of iteration i + S - 1 into the slot the previous
// iteration read, commit (insert-barriers orders the previous iteration's reads before these copies). After the loop: wait for the last dot and for the copies in flight.
// The schedule is visible in the IR: the loop carries `tt.pipelined = S`, and the copies, waits and slots are ops.
import { Block, Operation, cloneOperation, type Value } from '../ir/core.ts';
import { DenseAttr, FloatAttr, IntegerAttr } from '../ir/attributes.ts';
import { hasTrait } from '../ir/ops.ts';
import { IntType, MemDescType, PointerType, TensorType, i1, i32, memDescType, tensorType, type ScalarType, type Type } from '../ir/types.ts';
import { AxisAnalysis } from '../gpu/axis-info.ts';
import { elementBytes } from '../gpu/shared-memory.ts';
import { tileMapOf } from '../gpu/tile-map.ts';
import { sharedPlacement, vectorElements } from '../gpu/vectorize.ts';
import type { Pass } from './pass-manager.ts';

/** Triton's default num_stages. */
export const DEFAULT_STAGES = 3;

interface Pipelined {
  readonly load: Operation;
  readonly alloc: Operation;
}

const isZeroConstant = (v: Value): boolean => {
  const op = v.definingOp;
  if (op?.name !== 'arith.constant') return false;
  const a = op.attrs['value'];
  const s = a instanceof DenseAttr ? a.splat : a;
  return (s instanceof IntegerAttr && s.value === 0n) || (s instanceof FloatAttr && s.value === 0 && !Object.is(s.value, -0));
};

/**
 * The bytes one thread's copies of a load's tile into its buffer would move (cp.async takes 4, 8 or 16): as
 * many elements as the pointers allow and the buffer's layout keeps consecutive.
 */
function copyBytes(load: Operation, buffer: MemDescType, axis: AxisAnalysis): number {
  const t = load.operands[0]!.type as TensorType;
  const bytes = elementBytes((t.element as PointerType).pointee as ScalarType);
  const map = tileMapOf(t.encoding!, t.shape);
  const vec = vectorElements(map, axis.get(load.operands[0]!), load.operands[1] ? axis.get(load.operands[1]) : undefined, bytes);
  return bytes * Math.min(vec, sharedPlacement(t.encoding!, t.shape, buffer).run);
}

/** A dot on the tensor cores: wgmma, or mma.sync (a tt.dot of registers, its operands loaded from shared memory). */
const isTensorCoreDot = (op: Operation): boolean => op.name === 'ttng.warp_group_dot' || (op.name === 'tt.dot' && op.operands[0]!.definingOp?.name === 'ttg.local_load');

/** All uses of `v` under `root`. */
function usersOf(v: Value, root: Operation): Operation[] {
  const out: Operation[] = [];
  root.walk((op) => {
    if (op.operands.includes(v)) out.push(op);
  });
  return out;
}

interface Slice {
  readonly ops: Operation[];
  readonly args: Set<Value>;
}

/**
 * The body ops `values` depend on, in body order, and the block arguments they read; undefined when one of
 * them is not a pure op without regions (it could not be computed ahead or twice).
 */
function sliceOf(body: Block, values: readonly Value[]): Slice | undefined {
  const ops = new Set<Operation>();
  const args = new Set<Value>();
  const pending = [...values];
  while (pending.length) {
    const v = pending.pop()!;
    if (v.ownerBlock === body) {
      args.add(v);
      continue;
    }
    const def = v.definingOp;
    if (!def || def.parent !== body || ops.has(def)) continue;
    if (def.regions.length || !hasTrait(def, 'pure')) return undefined;
    ops.add(def);
    pending.push(...def.operands);
  }
  return { ops: body.ops.filter((op) => ops.has(op)), args };
}

/** What a loop's pipeline is made of: the loads, the body ops they read, the carried values and how each advances. */
interface Schedule {
  readonly loads: Pipelined[];
  readonly loadSlice: Slice;
  /** Each carried value the loads read, and the body ops computing its next value. */
  readonly advance: ReadonlyMap<Value, Slice>;
}

/** The loads of a loop that can be moved S - 1 iterations ahead, and the loop-carried values they advance. */
function candidates(loop: Operation, root: Operation, axis: AxisAnalysis): Schedule | undefined {
  const body = loop.regions[0]!.entry;
  const iv = body.args[0]!;
  const yieldOp = body.terminator!;
  const loads: Pipelined[] = [];
  // Every operand of every dot must be a load that can become an async copy: an operand copied into shared
  // memory the ordinary way would overwrite its buffer while the previous iteration's dot may still read it.
  const eligible = (operand: Value): Pipelined | undefined => {
    // An mma.sync dot reads its operands from registers that a local_load filled from the buffer.
    const read = operand.definingOp?.name === 'ttg.local_load' ? operand.definingOp.operands[0]! : operand;
    const alloc = read.definingOp;
    if (alloc?.name !== 'ttg.local_alloc' || alloc.parent !== body || alloc.operands.length !== 1) return undefined;
    const load = alloc.operands[0]!.definingOp;
    if (load?.name !== 'tt.load' || load.parent !== body || !(load.result.type instanceof TensorType)) return undefined;
    const readers = usersOf(alloc.result, root);
    if (usersOf(load.result, root).length !== 1 || !(readers.every((u) => u.name === 'ttng.warp_group_dot') || readers.every((u) => u.name === 'ttg.local_load' && u.parent === body))) return undefined;
    const other = load.operands[2];
    if (other && !isZeroConstant(other)) return undefined;
    return [4, 8, 16].includes(copyBytes(load, alloc.result.type as MemDescType, axis)) ? { load, alloc } : undefined;
  };
  for (const dot of body.ops.filter(isTensorCoreDot)) {
    for (const operand of dot.operands.slice(0, 2)) {
      const found = eligible(operand);
      if (!found) return undefined;
      if (!loads.some((l) => l.load === found.load)) loads.push(found);
    }
  }
  if (!loads.length) return undefined;
  const loadSlice = sliceOf(body, loads.flatMap((l) => l.load.operands));
  if (!loadSlice) return undefined;
  const carried = [...loadSlice.args].filter((a) => a !== iv);
  // A carried value the loads read must be advanced by pure ops of carried values the loads read, and be used
  // for nothing else (not even yielded as it is): the loop will carry it S - 1 iterations ahead.
  const advance = new Map<Value, Slice>();
  for (const a of carried) {
    const adv = sliceOf(body, [yieldOp.operands[body.args.indexOf(a) - 1]!]);
    if (!adv || [...adv.args].some((x) => x !== iv && !carried.includes(x))) return undefined;
    const allowed = new Set([...loadSlice.ops, ...adv.ops, ...loads.map((l) => l.load)]);
    if (usersOf(a, root).some((u) => !allowed.has(u))) return undefined;
    advance.set(a, adv);
  }
  return { loads, loadSlice, advance };
}

/** Emits ops before `anchor`. */
class Emitter {
  constructor(
    private readonly block: Block,
    private readonly anchor: Operation | undefined,
    private readonly loc: Operation['loc'],
  ) {}

  op(name: string, operands: Value[], types: readonly Type[], attrs: Operation['attrs'] = {}): Operation {
    const op = new Operation(name, operands, types, attrs, [], this.loc);
    if (this.anchor) this.block.insertBefore(this.anchor, op);
    else this.block.append(op);
    return op;
  }

  clone(op: Operation, mapping: Map<Value, Value>): Operation {
    const c = cloneOperation(op, mapping);
    if (this.anchor) this.block.insertBefore(this.anchor, c);
    else this.block.append(c);
    return c;
  }

  constant(value: number, t: IntType): Value {
    return this.op('arith.constant', [], [t], { value: new IntegerAttr(BigInt(value), t) }).result;
  }
}

function pipeline(loop: Operation, stages: number, root: Operation, axis: AxisAnalysis): boolean {
  const found = candidates(loop, root, axis);
  if (!found) return false;
  const { loads, loadSlice, advance } = found;
  const carried = [...advance.keys()];
  const body = loop.regions[0]!.entry;
  const iv = body.args[0]!;
  const yieldOp = body.terminator!;
  const [lb, ub, step] = loop.operands.slice(0, 3) as [Value, Value, Value];
  const ivType = iv.type as IntType;
  const outer = loop.parent!;
  const before = new Emitter(outer, loop, loop.loc);

  // The buffers: S slots of each loaded tile, in the layout its local_alloc chose.
  const buffers = loads.map(({ alloc }) => {
    const t = alloc.result.type as MemDescType;
    return before.op('ttg.local_alloc', [], [memDescType([stages, ...t.shape], t.element, t.encoding)]).result;
  });

  /** The loads of one iteration (loop variable `at`, carried values in `values`) into slot `slot`. */
  const issue = (e: Emitter, at: Value, values: Map<Value, Value>, slot: Value): void => {
    const mapping = new Map<Value, Value>([[iv, at], ...values]);
    for (const op of loadSlice.ops) e.clone(op, mapping);
    const inRange = e.op('arith.cmpi', [at, ub], [i1], { predicate: 'slt' }).result;
    loads.forEach(({ load }, k) => {
      const ptrs = mapping.get(load.operands[0]!) ?? load.operands[0]!;
      const shape = (load.result.type as TensorType).shape;
      const ptrType = ptrs.type as TensorType;
      const valid = e.op('tt.splat', [inRange], [tensorType(shape, i1, ptrType.encoding)]).result;
      const mask = load.operands[1] ? e.op('arith.andi', [mapping.get(load.operands[1]!) ?? load.operands[1]!, valid], [valid.type]).result : valid;
      const dst = e.op('ttg.memdesc_index', [buffers[k]!, slot], [(loads[k]!.alloc.result.type as MemDescType)]).result;
      e.op('ttg.async_copy_global_to_local', [ptrs, dst, mask], []);
    });
    e.op('ttg.async_commit_group', [], []);
  };

  /** Carried values one iteration on (the loop's own advance, at loop variable `at`). */
  const advanced = (e: Emitter, at: Value, values: Map<Value, Value>): Map<Value, Value> => {
    const next = new Map<Value, Value>();
    for (const a of carried) {
      const mapping = new Map<Value, Value>([[iv, at], ...values]);
      for (const op of advance.get(a)!.ops) e.clone(op, mapping);
      const y = yieldOp.operands[body.args.indexOf(a) - 1]!;
      next.set(a, mapping.get(y) ?? values.get(y) ?? y);
    }
    return next;
  };

  // Prologue: iterations 0 .. S-2.
  let values = new Map(carried.map((a) => [a, loop.operands[3 + body.args.indexOf(a) - 1]!] as const));
  let at = lb;
  for (let s = 0; s < stages - 1; s++) {
    issue(before, at, values, before.constant(s, i32));
    values = advanced(before, at, values);
    at = before.op('arith.addi', [at, step], [ivType]).result;
  }
  // The loop carries the values S - 1 iterations ahead, and the slots it reads and writes.
  for (const a of carried) loop.operands[3 + body.args.indexOf(a) - 1] = values.get(a)!;
  const readSlot = body.addArg(i32, 'readSlot');
  const writeSlot = body.addArg(i32, 'writeSlot');
  loop.operands.push(before.constant(0, i32), before.constant(stages - 1, i32));

  // The body: wait for this iteration's copies, dot on its slot, retire the previous dot, issue ahead, advance.
  const first = body.ops[0]!;
  const top = new Emitter(body, first, loop.loc);
  top.op('ttg.async_wait', [], [], { num: stages - 2 });
  loads.forEach(({ alloc }, k) => {
    const slot = top.op('ttg.memdesc_index', [buffers[k]!, readSlot], [alloc.result.type]).result;
    root.walk((u) => {
      if (u.name === 'ttng.warp_group_dot' || u.name === 'ttg.local_load') u.operands = u.operands.map((v) => (v === alloc.result ? slot : v));
    });
  });
  for (const dot of body.ops.filter((op) => op.name === 'ttng.warp_group_dot')) {
    dot.attrs['isAsync'] = true;
    const wait = new Operation('ttng.warp_group_dot_wait', [dot.result], [dot.result.type], { pendings: 1 }, [], dot.loc);
    body.insertAfter(dot, wait);
    root.walk((u) => {
      if (u !== wait) u.operands = u.operands.map((v) => (v === dot.result ? wait.result : v));
    });
  }
  const tail = new Emitter(body, yieldOp, loop.loc);
  const ahead = tail.op('arith.addi', [iv, tail.op('arith.muli', [step, tail.constant(stages - 1, ivType)], [ivType]).result], [ivType]).result;
  const argValues = new Map(carried.map((a) => [a, a] as const));
  issue(tail, ahead, argValues, writeSlot);
  const next = advanced(tail, ahead, argValues);
  for (const a of carried) yieldOp.operands[body.args.indexOf(a) - 1] = next.get(a)!;
  const bump = (slot: Value): Value => {
    const plus = tail.op('arith.addi', [slot, tail.constant(1, i32)], [i32]).result;
    const wraps = tail.op('arith.cmpi', [plus, tail.constant(stages, i32)], [i1], { predicate: 'sge' }).result;
    return tail.op('arith.select', [wraps, tail.constant(0, i32), plus], [i32]).result;
  };
  yieldOp.operands.push(bump(readSlot), bump(writeSlot));

  // The loop's results gain the slot counters (unused after it).
  const grown = new Operation('scf.for', loop.operands, [...loop.results.map((r) => r.type), i32, i32], { ...loop.attrs, 'tt.pipelined': stages }, [], loop.loc);
  grown.regions = loop.regions;
  for (const r of grown.regions) r.parent = grown;
  loop.regions = [];
  outer.insertBefore(loop, grown);
  loop.results.forEach((r, i) => {
    grown.results[i]!.nameHint = r.nameHint;
    root.walk((u) => {
      if (u !== grown) u.operands = u.operands.map((v) => (v === r ? grown.results[i]! : v));
    });
  });
  loop.erase();

  // After the loop: the last dot, and the copies still in flight (past the end, masked off, but writing).
  const after = new Emitter(outer, outer.ops[outer.ops.indexOf(grown) + 1], grown.loc);
  grown.results.forEach((r, i) => {
    const y = yieldOp.operands[i]!;
    if (y.definingOp?.name !== 'ttng.warp_group_dot_wait') return;
    const users = usersOf(r, root);
    const wait = after.op('ttng.warp_group_dot_wait', [r], [r.type], { pendings: 0 });
    for (const u of users) u.operands = u.operands.map((v) => (v === r ? wait.result : v));
  });
  after.op('ttg.async_wait', [], [], { num: 0 });
  for (const { load, alloc } of loads) {
    alloc.erase();
    load.erase();
  }
  return true;
}

export function pipelineLoads(defaultStages: number): Pass {
  return {
    name: 'pipeline-loads',
    run(module: Operation): Operation {
      for (const fn of module.regions[0]!.entry.ops) {
        const axis = new AxisAnalysis(fn);
        const loops: Operation[] = [];
        fn.walk((op) => {
          if (op.name === 'scf.for' && op.attrs['tt.static_range'] !== true) loops.push(op);
        });
        for (const loop of loops) {
          const stages = (loop.attrs['tt.num_stages'] as number | undefined) ?? defaultStages;
          if (stages >= 2) pipeline(loop, stages, module, axis);
        }
      }
      return module;
    },
  };
}
