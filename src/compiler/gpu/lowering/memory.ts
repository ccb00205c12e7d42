// Lowering of global loads, stores and atomics: vector accesses where the axis analysis allows them, stores and
// atomics only by the thread that owns each element.
import type { Attributes } from '../../ir/attributes.ts';
import type { Operation, Value } from '../../ir/core.ts';
import { TensorType, i1, type ScalarType } from '../../ir/types.ts';
import { elementBytes } from '../shared-memory.ts';
import { TileMap, type AnyTileMap } from '../tile-map.ts';
import { vectorElements } from '../vectorize.ts';
import type { Lowering } from './lowering.ts';

/** Vector groups for a memory op: how many consecutive elements one instruction may move. */
export function vectorWidth(lw: Lowering, op: Operation, map: AnyTileMap, bytes: number): number {
  return vectorWidthOf(lw, op.operands[0]!, op.operands[op.name === 'tt.load' ? 1 : 2], map, bytes);
}

/** How many consecutive elements of a tile of pointers (under `mask`) one access may move. */
export function vectorWidthOf(lw: Lowering, ptrs: Value, mask: Value | undefined, map: AnyTileMap, bytes: number): number {
  return vectorElements(map, lw.axis.get(ptrs), mask ? lw.axis.get(mask) : undefined, bytes);
}

export function load(lw: Lowering, op: Operation): void {
  const [ptr, mask, other] = op.operands;
  const rt = op.result.type;
  const attrs: Attributes = {};
  for (const k of ['cache', 'evict', 'isVolatile']) if (op.attrs[k] !== undefined) attrs[k] = op.attrs[k]!;
  if (!(rt instanceof TensorType)) {
    const pred = mask ? lw.scalar(mask) : lw.constant(1, i1);
    const others = other ? [lw.scalar(other)] : [];
    const v = lw.b.create('gpu.load', [lw.scalar(ptr!), pred, ...others], [rt], { vec: 1, ...attrs }).result;
    return void lw.values.set(op.result, { kind: 'scalar', v });
  }
  const map = lw.mapOf(rt);
  const p = lw.tile(ptr!);
  const m = mask ? lw.tile(mask) : undefined;
  const o = other ? lw.get(other) : undefined;
  const vec = vectorWidth(lw, op, map, elementBytes(rt.element));
  const regs: Value[] = Array(map.numRegs);
  for (const group of map.vectorGroups(vec)) {
    const pred = m ? m.regs[group[0]!]! : lw.constant(1, i1);
    const others = o ? group.map((r) => (o.kind === 'scalar' ? o.v : (o as { regs: readonly Value[] }).regs[r]!)) : [];
    const ld = lw.b.create('gpu.load', [p.regs[group[0]!]!, pred, ...others], group.map(() => rt.element), { vec: group.length, ...attrs });
    group.forEach((r, k) => (regs[r] = ld.results[k]!));
  }
  lw.setTile(op.result, map, regs);
}

export function store(lw: Lowering, op: Operation): void {
  const [ptr, value, mask] = op.operands;
  const vt = value!.type;
  const attrs: Attributes = {};
  for (const k of ['cache', 'evict']) if (op.attrs[k] !== undefined) attrs[k] = op.attrs[k]!;
  if (!(vt instanceof TensorType)) {
    const pred = mask ? lw.scalar(mask) : lw.constant(1, i1);
    lw.b.create('gpu.store', [lw.scalar(ptr!), pred, lw.scalar(value!)], [], { vec: 1, ...attrs });
    return;
  }
  const map = lw.mapOf(vt);
  const p = lw.tile(ptr!);
  const v = lw.tile(value!);
  const m = mask ? lw.tile(mask) : undefined;
  const vec = vectorWidth(lw, op, map, elementBytes(vt.element));
  for (const group of map.vectorGroups(vec)) {
    const pred = lw.andPred(m?.regs[group[0]!], lw.owner(map, group[0]!)) ?? lw.constant(1, i1);
    lw.b.create('gpu.store', [p.regs[group[0]!]!, pred, ...group.map((r) => v.regs[r]!)], [], { vec: group.length, ...attrs });
  }
}

export function atomic(lw: Lowering, op: Operation): void {
  const isCas = op.name === 'tt.atomic_cas';
  const rt = op.result.type;
  const attrs: Attributes = isCas ? { sem: op.attrs['sem']!, scope: op.attrs['scope']! } : { atomic_rmw_op: op.attrs['atomic_rmw_op']!, sem: op.attrs['sem']!, scope: op.attrs['scope']! };
  const name = isCas ? 'gpu.atomic_cas' : 'gpu.atomic_rmw';
  if (!(rt instanceof TensorType)) {
    // One thread does a scalar atomic; the others read its result back through shared memory if they need it.
    const [ptr, a, b] = op.operands.map((x) => lw.scalar(x));
    const first = lw.firstThread();
    const pred = isCas ? first : lw.andPred(b, first)!;
    const operands = isCas ? [ptr!, a!, b!, pred] : [ptr!, a!, pred];
    let v = lw.b.create(name, operands, [rt], attrs).result;
    if (usedLater(lw, op)) {
      const addr = lw.smemAddress(op.attrs['allocation.offset'] as number, lw.c32(0), elementBytes(rt as ScalarType));
      lw.guarded(first, () => lw.sharedStore(addr, [v], rt as ScalarType));
      lw.b.create('gpu.barrier', [], []);
      v = lw.sharedLoad(addr, [rt as ScalarType])[0]!;
    }
    return void lw.values.set(op.result, { kind: 'scalar', v });
  }
  const map = lw.mapOf(rt);
  const [ptr, a, b] = op.operands.map((x) => lw.tile(x));
  const regs = Array.from({ length: map.numRegs }, (_, r) => {
    const mask = isCas ? undefined : b?.regs[r];
    const pred = lw.andPred(mask, lw.owner(map, r)) ?? lw.constant(1, i1);
    const operands = isCas ? [ptr!.regs[r]!, a!.regs[r]!, b!.regs[r]!, pred] : [ptr!.regs[r]!, a!.regs[r]!, pred];
    return lw.b.create(name, operands, [rt.element], attrs).result;
  });
  // Threads that hold a copy of an element without owning it did no atomic: they take the owner's result.
  const replicated = map instanceof TileMap ? map.dims.length < map.root.rank || map.dims.some((d) => map.wraps(d)) : map.freeLaneMask !== 0 || map.freeWarpMask !== 0;
  if (replicated && usedLater(lw, op)) {
    const offset = op.attrs['allocation.offset'] as number;
    lw.setTile(op.result, map, shareOwned(lw, map, regs, rt.element, offset));
  } else lw.setTile(op.result, map, regs);
}

export function usedLater(lw: Lowering, op: Operation): boolean {
  let used = false;
  lw.src.walk((o) => {
    if (o.operands.includes(op.result)) used = true;
  });
  return used;
}

/** Owners write their elements to shared memory and every holder reads them back. */
export function shareOwned(lw: Lowering, map: AnyTileMap, regs: readonly Value[], el: ScalarType, offset: number): Value[] {
  const bytes = elementBytes(el);
  const addr = (r: number): Value => lw.smemAddress(offset, lw.linearIndex(map, r, map.shape), bytes);
  for (let r = 0; r < map.numRegs; r++) {
    const own = lw.owner(map, r);
    lw.guarded(own, () => lw.sharedStore(addr(r), [regs[r]!], el));
  }
  lw.b.create('gpu.barrier', [], []);
  return Array.from({ length: map.numRegs }, (_, r) => lw.sharedLoad(addr(r), [el])[0]!);
}
