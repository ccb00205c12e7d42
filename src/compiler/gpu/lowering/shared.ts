// Lowering of the ops that move tiles through shared memory: layout conversions, reshapes, transposes, joins,
// splits and gathers (every thread writes what it owns, waits, and reads what it needs), and local_alloc / local_load.
// Conversions whose elements stay within warps take no shared memory: register renamings, or warp shuffles.
import type { Operation, Value } from '../../ir/core.ts';
import { type MemDescType, TensorType, elementType, i1, i32, shapeOf } from '../../ir/types.ts';
import { elementBytes, exchangeSources, fusedIntoUsers, warpConversion } from '../shared-memory.ts';
import { loadWithLdmatrix } from './ldmatrix.ts';
import { shuffle } from './shuffle.ts';
import { SharedLayout } from '../../ir/layouts.ts';
import type { Lowering, LoweredTile } from './lowering.ts';
import type { AnyTileMap } from '../tile-map.ts';
import { linearForm, numberArith, orderedIndex, rowMajor, unravel, valueArith, type IndexArith, type LinearForm } from './index-arith.ts';

/**
 * convert_layout, reshape, trans, join and split: every thread writes the elements it owns to shared memory
 * (row-major in the source's coordinates), waits, and reads those of its destination registers; a conversion
 * that keeps every element in its thread only renames registers. An exchange fused into the exchanges that use it
 * (fusedIntoUsers) emits nothing: the last of a chain writes the chain's sources and reads through every op's map.
 */
export function exchange(lw: Lowering, op: Operation): void {
  const inWarp = warpConversion(op);
  if (inWarp) {
    const src = lw.tile(op.operands[0]!);
    // Every thread already holds the elements it needs: the conversion only renames registers.
    if (inWarp.kind === 'registers') return lw.setTile(op.result, lw.mapOf(op.result.type), inWarp.sourceRegisters.map((r) => src.regs[r]!));
    // Elements move between lanes of a warp only: each register is shuffled from the lane that holds it.
    const lanePart = lw.lanePart(inWarp.laneBases);
    const regs = inWarp.sourceRegisters.map((r, i) => {
      const c = inWarp.sourceLanes[i]!;
      return shuffle(lw, src.regs[r]!, 'idx', c === 0 ? lanePart : lw.op1('arith.xori', [lanePart, lw.c32(c)], i32));
    });
    return lw.setTile(op.result, lw.mapOf(op.result.type), regs);
  }
  if (fusedIntoUsers(op)) return;
  const offset = op.attrs['allocation.offset'] as number;
  // The sources, one after the other (tiles, or scalars: join of two scalars into a [2] tile).
  const first = new Map<Value, number>();
  let at = 0;
  for (const v of exchangeSources(op)) {
    first.set(v, at);
    storeRowMajor(lw, v, offset, at);
    at += shapeOf(v.type).reduce((a, b) => a * b, 1);
  }
  lw.b.create('gpu.barrier', [], []);
  const el = elementType(op.operands[0]!.type);
  const bytes = elementBytes(el);
  const values = valueArith(lw);
  for (const res of op.results) {
    const rt = res.type;
    if (!(rt instanceof TensorType)) {
      // split of a [2] tile: scalar halves.
      lw.values.set(res, { kind: 'scalar', v: lw.sharedLoad(lw.smemAddress(offset, elementIndex(values, res, [], first), bytes), [el])[0]! });
      continue;
    }
    const map = lw.mapOf(rt);
    const linear = memoLinearForm(`${chainKey(res, first)}|${map.layout.text}`, map, (coords) => elementIndex(numberArith, res, coords, first));
    if (!linear) {
      // Addresses that are no linear function of the thread: a join whose operands reach their sources through
      // different maps (join(a, trans(b)), or a join of a tile and a half of a split: which operand is read depends
      // on one coordinate bit, and where in it on the others). Each register's address walks the chain of ops.
      const regs = Array.from({ length: map.numRegs }, (_, r) => {
        const idx = elementIndex(values, res, rt.shape.map((_, d) => lw.coord(map, r, d)), first);
        return lw.sharedLoad(lw.smemAddress(offset, idx, bytes), [el])[0]!;
      });
      lw.setTile(res, map, regs);
      continue;
    }
    // The usual case (reshapes, transposes, splits and joins of tiles of powers of two move bits of the index):
    // a per-thread part computed once, and a constant per register, which ptxas folds into the address; registers
    // whose elements are consecutive and aligned load as one vector.
    const run = vectorRun(linear, 16 / bytes);
    const regs: Value[] = [];
    for (let r = 0; r < map.numRegs; r += run) {
      regs.push(...lw.sharedLoad(lw.linearAddress(linear, r, offset, bytes), Array(run).fill(el)));
    }
    lw.setTile(res, map, regs);
  }
}

/**
 * linearForm, remembered by a key that determines the function (the chain of ops, its sources' offsets and the
 * tile's layout): finding a form evaluates the addressing at every register, lane and warp, and kernels such as
 * a bitonic sort lower the same exchange many times. Forms depend on nothing else, so the memo serves every
 * compilation in the process (bounded: cleared when it grows past a few thousand).
 */
const forms = new Map<string, LinearForm | undefined>();
function memoLinearForm(key: string, map: AnyTileMap, f: (coords: readonly number[]) => number): LinearForm | undefined {
  if (forms.has(key)) return forms.get(key);
  if (forms.size >= 4096) forms.clear();
  const form = linearForm(map, f);
  forms.set(key, form);
  return form;
}

/** What elementIndex of `v` depends on: the ops of its chain (with their shapes and attributes) and where its sources start. */
function chainKey(v: Value, first: ReadonlyMap<Value, number>): string {
  const shape = shapeOf(v.type).join('x');
  const at = first.get(v);
  if (at !== undefined) return `@${at}[${shape}]`;
  const op = v.definingOp!;
  const order = op.name === 'tt.trans' ? (op.attrs['order'] as number[]).join(',') : '';
  return `${op.name}${order}#${op.results.indexOf(v)}[${shape}](${op.operands.map((o) => chainKey(o, first)).join(',')})`;
}

/**
 * How many consecutive registers (a power of two, at most `most`) hold consecutive elements of shared memory that
 * start at a multiple of that count in every thread: those load as one vector.
 */
function vectorRun(linear: LinearForm, most: number): number {
  const { constants, laneBases, warpBases } = linear;
  const fits = (run: number): boolean =>
    constants.length % run === 0 &&
    [...laneBases, ...warpBases].every((b) => b % run === 0) &&
    constants.every((c, r) => (r % run === 0 ? c % run === 0 : c === constants[r - (r % run)]! + (r % run)));
  let run = 1;
  while (run * 2 <= most && fits(run * 2)) run *= 2;
  return run;
}

/**
 * Where the element at `coords` of `v` is in an exchange's shared memory: a source's is at the source's first
 * element plus its row-major index; an exchange's result is found through the op's map of coordinates to those of
 * its operands (the ops fused into the exchange being lowered included).
 */
function elementIndex<T>(ar: IndexArith<T>, v: Value, coords: readonly T[], first: ReadonlyMap<Value, number>): T {
  const base = first.get(v);
  if (base !== undefined) return base ? ar.add(rowMajor(ar, coords, shapeOf(v.type)), ar.c(base)) : rowMajor(ar, coords, shapeOf(v.type));
  const op = v.definingOp!;
  const src = op.operands[0]!;
  switch (op.name) {
    case 'ttg.convert_layout':
      return elementIndex(ar, src, coords, first);
    case 'tt.reshape': {
      // Row-major order is what both shapes share.
      const linear = rowMajor(ar, coords, shapeOf(v.type));
      const at = first.get(src);
      if (at !== undefined) return at ? ar.add(linear, ar.c(at)) : linear;
      return elementIndex(ar, src, unravel(ar, linear, shapeOf(src.type)), first);
    }
    case 'tt.trans': {
      // Result dimension i is source dimension order[i].
      const order = op.attrs['order'] as number[];
      return elementIndex(ar, src, order.map((_, j) => coords[order.indexOf(j)]!), first);
    }
    case 'tt.join': {
      // Result [..., 2]: the last coordinate picks the operand.
      const [a, b] = op.operands as [Value, Value];
      const inner = coords.slice(0, -1);
      const which = coords[coords.length - 1]!;
      const ia = elementIndex(ar, a, inner, first);
      const [fa, fb] = [first.get(a), first.get(b)];
      // Two sources: the second operand's element is a fixed distance from the first's.
      if (fa !== undefined && fb !== undefined) return fa === fb ? ia : ar.add(ia, ar.mul(which, fb - fa));
      return ar.selectOnZero(which, ia, elementIndex(ar, b, inner, first));
    }
    case 'tt.split':
      // Source [..., 2]: element (c..., k).
      return elementIndex(ar, src, [...coords, ar.c(op.results.indexOf(v))], first);
  }
  throw new Error(`no exchange for ${op.name}`);
}

/**
 * Every thread writes the elements of `v` it owns (each element once) to shared memory at `offset`, in row-major
 * order from element `first` on; a scalar is element `first` (written by every thread, which all hold it).
 */
function storeRowMajor(lw: Lowering, v: Value, offset: number, first: number): void {
  const el = elementType(v.type);
  const bytes = elementBytes(el);
  const s = lw.get(v);
  if (s.kind === 'scalar') return lw.sharedStore(lw.smemAddress(offset, lw.c32(first), bytes), [s.v], el);
  const t = s as LoweredTile;
  const shape = shapeOf(v.type);
  // The row-major index is a linear function of the thread wherever the tile's coordinates are (every blocked and
  // linear layout of powers of two): a per-thread part computed once and a constant per register.
  const linear = memoLinearForm(`store|${shape.join('x')}|${first}|${t.map.layout.text}`, t.map, (coords) => rowMajor(numberArith, coords, shape) + first);
  const owners = Array.from({ length: t.map.numRegs }, (_, r) => lw.owner(t.map, r));
  // Registers held by several threads are written by one of them, each register under its own condition.
  const run = linear && owners.every((o) => o === undefined) ? vectorRun(linear, 16 / bytes) : 1;
  for (let r = 0; r < t.map.numRegs; r += run) {
    const index = (): Value => {
      const idx = lw.linearIndex(t.map, r, shape);
      return first ? lw.add(idx, lw.c32(first)) : idx;
    };
    const address = linear ? lw.linearAddress(linear, r, offset, bytes) : lw.smemAddress(offset, index(), bytes);
    lw.guarded(owners[r], () => lw.sharedStore(address, t.regs.slice(r, r + run), el));
  }
}

/**
 * tt.gather: the source goes to shared memory in row-major order; each register of the result reads the element
 * its index (a register of the index tile, which has the result's layout) names along the axis, modulo its size.
 */
export function gather(lw: Lowering, op: Operation): void {
  const offset = op.attrs['allocation.offset'] as number;
  const [src, index] = op.operands as [Value, Value];
  const srcShape = shapeOf(src.type);
  const el = elementType(src.type);
  storeRowMajor(lw, src, offset, 0);
  lw.b.create('gpu.barrier', [], []);
  const axis = op.attrs['axis'] as number;
  const map = lw.mapOf(op.result.type);
  const at = lw.tile(index);
  const regs = Array.from({ length: map.numRegs }, (_, r) => {
    const along = lw.op1('arith.andi', [at.regs[r]!, lw.c32(srcShape[axis]! - 1)], i32);
    const idx = lw.linearIndex(map, r, srcShape, (d) => (d === axis ? along : lw.coord(map, r, d)));
    return lw.sharedLoad(lw.smemAddress(offset, idx, elementBytes(el)), [el])[0]!;
  });
  lw.setTile(op.result, map, regs);
}

/**
 * tt.histogram: the bins live in shared memory; the threads holding the result zero them, every thread adds 1 to
 * the bin of each element it owns (each element once) where the mask holds and the value is in range, with
 * atomic adds, and the result's registers read the counts.
 */
export function histogram(lw: Lowering, op: Operation): void {
  const offset = op.attrs['allocation.offset'] as number;
  const map = lw.mapOf(op.result.type);
  const bins = shapeOf(op.result.type)[0]!;
  const bin = (r: number): Value => lw.smemAddress(offset, lw.coord(map, r, 0), 4);
  for (let r = 0; r < map.numRegs; r++) lw.guarded(lw.owner(map, r), () => lw.sharedStore(bin(r), [lw.c32(0)], i32));
  lw.b.create('gpu.barrier', [], []);
  const [input, mask] = [lw.tile(op.operands[0]!), lw.tile(op.operands[1]!)];
  for (let r = 0; r < input.map.numRegs; r++) {
    const v = input.regs[r]!;
    // Unsigned, so that negative values are out of range too.
    let counted = lw.op1('arith.andi', [mask.regs[r]!, lw.op1('arith.cmpi', [v, lw.c32(bins)], i1, { predicate: 'ult' })], i1);
    const own = lw.owner(input.map, r);
    if (own) counted = lw.op1('arith.andi', [counted, own], i1);
    lw.guarded(counted, () => lw.b.create('gpu.shared_atomic_add', [lw.smemAddress(offset, v, 4), lw.c32(1)], []));
  }
  lw.b.create('gpu.barrier', [], []);
  lw.setTile(op.result, map, Array.from({ length: map.numRegs }, (_, r) => lw.sharedLoad(bin(r), [i32])[0]!));
}

export function localAlloc(lw: Lowering, op: Operation): void {
  const mt = op.result.type as MemDescType;
  const offset = op.attrs['allocation.offset'] as number;
  // An allocation with no tile to copy (the stages of a pipelined loop) is only an address.
  if (op.operands.length === 0) return void lw.values.set(op.result, { kind: 'smem', offset, type: mt });
  const s = lw.tile(op.operands[0]!);
  const bytes = elementBytes(mt.element);
  const map = s.map;
  if (!(mt.encoding instanceof SharedLayout)) {
    // Swizzled buffers the tensor cores read: placed through the layouts' linear maps, in vectors of up to 16
    // bytes, then, for wgmma, made visible to the async proxy it reads shared memory through (ld.shared, for
    // mma.sync's operands, needs no fence; nor has sm_80 the instruction).
    const { offset: at, run } = lw.sharedPlacement(mt, map);
    const vec = Math.max(1, Math.min(run, 16 / bytes));
    for (let r = 0; r < map.numRegs; r += vec) {
      const group = Array.from({ length: vec }, (_, k) => r + k);
      lw.guarded(lw.owner(map, r), () => lw.sharedStore(lw.smemAddress(offset, at(r), bytes), group.map((g) => s.regs[g]!), mt.element));
    }
    if (readByWgmma(lw, op)) lw.b.create('gpu.fence_proxy_async', [], []);
    return void lw.values.set(op.result, { kind: 'smem', offset, type: mt });
  }
  // Registers consecutive along the buffer's fastest dimension are stored as one vector (up to 16 bytes).
  const blocked = lw.blockedMap(map, 'a store to a row-major shared buffer');
  const fastest = blocked.root.order[0]!;
  const along = blocked.dims.indexOf(fastest);
  const vec = along === mt.encoding.order[0] && !blocked.wraps(fastest) && mt.element !== i1 ? Math.min(blocked.perRep[fastest]!, 16 / bytes) : 1;
  // Addresses as in exchanges: the thread's part once, a constant per register (the index is linear in the
  // coordinates, and they in the thread, for blocked tiles of powers of two; a layout that was not would take the
  // per-register path).
  const order = mt.encoding.order;
  const linear = memoLinearForm(`alloc|${mt.text}|${blocked.layout.text}`, blocked, (coords) => orderedIndex(numberArith, coords, mt.shape, order));
  for (const group of blocked.vectorGroups(vec)) {
    const r = group[0]!;
    const own = lw.owner(blocked, r);
    const address = linear ? lw.linearAddress(linear, r, offset, bytes) : lw.smemAddress(offset, lw.sharedIndex(mt, (i) => lw.coord(blocked, r, i)), bytes);
    lw.guarded(own, () => lw.sharedStore(address, group.map((g) => s.regs[g]!), mt.element));
  }
  lw.values.set(op.result, { kind: 'smem', offset, type: mt });
}

/** Whether a wgmma reads the buffer an allocation makes. */
function readByWgmma(lw: Lowering, alloc: Operation): boolean {
  let found = false;
  lw.src.walk((u) => {
    if (u.name === 'ttng.warp_group_dot' && u.operands.includes(alloc.result)) found = true;
  });
  return found;
}

/** One slot of a multi-buffered allocation: the allocation's offset, plus index * slot bytes at run time. */
export function memdescIndex(lw: Lowering, op: Operation): void {
  const buffer = lw.smem(op.operands[0]!);
  const slot = op.result.type as MemDescType;
  const slotBytes = slot.numel * elementBytes(slot.element);
  const index = lw.scalar(op.operands[1]!);
  const at = lw.mul(index, slotBytes);
  lw.values.set(op.result, { kind: 'smem', offset: buffer.offset, type: slot, dynamic: buffer.dynamic ? lw.add(buffer.dynamic, at) : at });
}

export function localLoad(lw: Lowering, op: Operation): void {
  const src = lw.smem(op.operands[0]!);
  const map = lw.mapOf(op.result.type);
  const el = src.type.element;
  const bytes = elementBytes(el);
  if (!(src.type.encoding instanceof SharedLayout)) {
    if (loadWithLdmatrix(lw, op, src)) return;
    const { offset: at, run } = lw.sharedPlacement(src.type, map);
    const vec = Math.max(1, Math.min(run, 16 / bytes));
    const regs: Value[] = [];
    for (let r = 0; r < map.numRegs; r += vec) regs.push(...lw.sharedLoad(lw.bufferAddress(src, at(r), bytes), Array(vec).fill(el)));
    return lw.setTile(op.result, map, regs);
  }
  const regs = Array.from({ length: map.numRegs }, (_, r) => lw.sharedLoad(lw.bufferAddress(src, lw.sharedIndex(src.type, (i) => lw.coord(map, r, i)), bytes), [el])[0]!);
  lw.setTile(op.result, map, regs);
}

export function barrier(lw: Lowering): void {
  lw.b.create('gpu.barrier', [], []);
}
