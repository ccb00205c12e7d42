// Lowering of the ops that move tiles through shared memory: layout conversions, reshapes, transposes, joins,
// splits (every thread writes what it owns, waits, and reads what it needs), and local_alloc / local_load.
// Conversions whose elements stay within warps take no shared memory: register renamings, or warp shuffles.
import type { Operation, Value } from '../../ir/core.ts';
import { type MemDescType, TensorType, elementType, i1, i32, shapeOf } from '../../ir/types.ts';
import { elementBytes, warpConversion } from '../shared-memory.ts';
import { loadWithLdmatrix } from './ldmatrix.ts';
import { shuffle } from './shuffle.ts';
import { SharedLayout } from '../../ir/layouts.ts';
import type { AnyTileMap } from '../tile-map.ts';
import type { Lowering, LoweredTile } from './lowering.ts';

/**
 * convert_layout, reshape, trans, join and split: every thread writes the elements it owns to shared memory
 * (row-major in the source's coordinates), waits, and reads those of its destination registers; a conversion
 * that keeps every element in its thread only renames registers.
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
  const offset = op.attrs['allocation.offset'] as number;
  // The source is a tile, or a scalar (join of two scalars into a [2] tile).
  const srcType = op.operands[0]!.type;
  const el = elementType(srcType);
  const bytes = elementBytes(el);
  const sources = op.name === 'tt.join' ? [lw.get(op.operands[0]!), lw.get(op.operands[1]!)] : [lw.get(op.operands[0]!)];
  const srcShape = shapeOf(srcType);
  const tileElems = srcShape.reduce((a, b) => a * b, 1);
  sources.forEach((s, k) => {
    if (s.kind === 'scalar') {
      lw.sharedStore(lw.smemAddress(offset, lw.c32(k), bytes), [s.v], el);
      return;
    }
    const t = s as LoweredTile;
    for (let r = 0; r < t.map.numRegs; r++) {
      const own = lw.owner(t.map, r);
      const idx = lw.linearIndex(t.map, r, srcShape);
      const base = k ? lw.add(idx, lw.c32(k * tileElems)) : idx;
      lw.guarded(own, () => lw.sharedStore(lw.smemAddress(offset, base, bytes), [t.regs[r]!], el));
    }
  });
  lw.b.create('gpu.barrier', [], []);
  op.results.forEach((res, k) => {
    const rt = res.type;
    if (!(rt instanceof TensorType)) {
      // split of a [2] tile: scalar halves.
      const v = lw.sharedLoad(lw.smemAddress(offset, lw.c32(k), bytes), [el])[0]!;
      return lw.values.set(res, { kind: 'scalar', v });
    }
    const map = lw.mapOf(rt);
    const regs = Array.from({ length: map.numRegs }, (_, r) => {
      const idx = sourceIndex(lw, op, map, r, k, srcShape, tileElems);
      return lw.sharedLoad(lw.smemAddress(offset, idx, bytes), [el])[0]!;
    });
    lw.setTile(res, map, regs);
  });
}

/** For result k's register r of an exchange op, the linear index of its element in shared memory. */
export function sourceIndex(lw: Lowering, op: Operation, map: AnyTileMap, r: number, k: number, srcShape: readonly number[], tileElems: number): Value {
  switch (op.name) {
    case 'ttg.convert_layout':
    case 'tt.reshape':
      // Row-major order is what both shapes share.
      return lw.linearIndex(map, r, map.shape);
    case 'tt.trans': {
      const order = op.attrs['order'] as number[];
      // Result dimension i is source dimension order[i].
      return lw.linearIndex(map, r, srcShape, (j) => lw.coord(map, r, order.indexOf(j)));
    }
    case 'tt.join': {
      // Result [..., 2]: the last coordinate picks the operand.
      const last = map.shape.length - 1;
      const inner = lw.linearIndex(map, r, srcShape, (j) => lw.coord(map, r, j));
      const which = lw.coord(map, r, last);
      return lw.add(inner, lw.mul(which, tileElems));
    }
    case 'tt.split':
      // Source [..., 2]: element (c..., k).
      return lw.add(lw.mul(lw.linearIndex(map, r, map.shape), 2), lw.c32(k));
  }
  throw new Error(`no exchange for ${op.name}`);
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
  for (const group of blocked.vectorGroups(vec)) {
    const r = group[0]!;
    const own = lw.owner(blocked, r);
    const idx = lw.sharedIndex(mt, (i) => lw.coord(blocked, r, i));
    lw.guarded(own, () => lw.sharedStore(lw.smemAddress(offset, idx, bytes), group.map((g) => s.regs[g]!), mt.element));
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
