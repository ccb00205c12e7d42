// Lowering of the asynchronous copies of a software pipeline: each thread copies its vectors of the tile
// (4, 8 or 16 bytes each) from global memory straight into the shared buffer's layout (cp.async), zero where
// the mask is false; commit and wait map to cp.async.commit_group and cp.async.wait_group.
import type { Operation, Value } from '../../ir/core.ts';
import { PointerType, TensorType, i1, type ScalarType } from '../../ir/types.ts';
import { elementBytes } from '../shared-memory.ts';
import type { Lowering } from './lowering.ts';
import { vectorWidthOf } from './memory.ts';

export function asyncCopy(lw: Lowering, op: Operation): void {
  const [ptrsV, dstV, maskV] = op.operands as [Value, Value, Value | undefined];
  const ptrs = lw.tile(ptrsV);
  const dst = lw.smem(dstV);
  const mask = maskV ? lw.tile(maskV) : undefined;
  const el = ((ptrsV.type as TensorType).element as PointerType).pointee as ScalarType;
  const bytes = elementBytes(el);
  const { offset: at, run } = lw.sharedPlacement(dst.type, ptrs.map);
  const vec = Math.min(run, vectorWidthOf(lw, ptrsV, maskV, ptrs.map, bytes));
  if (![4, 8, 16].includes(vec * bytes)) {
    throw new Error(`lowering: an async copy moves 4, 8 or 16 bytes per thread, but these pointers allow ${vec * bytes} (the pipeline pass should not have chosen this load)`);
  }
  for (let r = 0; r < ptrs.map.numRegs; r += vec) {
    const pred = mask ? mask.regs[r]! : lw.constant(1, i1);
    lw.guarded(lw.owner(ptrs.map, r), () => lw.b.create('gpu.cp_async', [lw.bufferAddress(dst, at(r), bytes), ptrs.regs[r]!, pred], [], { bytes: vec * bytes }));
  }
}

export function asyncCommitGroup(lw: Lowering): void {
  lw.b.create('gpu.cp_async_commit', [], []);
}

export function asyncWait(lw: Lowering, op: Operation): void {
  lw.b.create('gpu.cp_async_wait', [], [], { pending: op.attrs['num']! });
}
