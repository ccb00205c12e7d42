// How many consecutive elements one memory access of a thread may move: as many as the layout keeps in
// consecutive registers along its fastest dimension, the pointers are contiguous and aligned for, and the
// mask is constant over, up to 16 bytes. Shared by the lowering and the passes that must know in advance
// (the pipeliner, whose cp.async copies need 4, 8 or 16 bytes).
import type { Layout } from '../ir/layouts.ts';
import { bitWidth, type MemDescType } from '../ir/types.ts';
import type { AxisInfo } from './axis-info.ts';
import { LANE, OFFSET, REGISTER, WARP, linearLayoutOf, sharedLinearLayoutOf, type LinearLayout } from './linear-layout.ts';
import { TileMap, type AnyTileMap } from './tile-map.ts';

export function vectorElements(map: AnyTileMap, ptr: AxisInfo, mask: AxisInfo | undefined, bytes: number): number {
  // Along the dimension the layout keeps consecutive in registers (a blocked layout's fastest, the last for others).
  const i = map instanceof TileMap ? map.dims.indexOf(map.root.order[0]!) : map.shape.length - 1;
  if (i < 0) return 1;
  const inRegisters = map instanceof TileMap ? map.perRep[map.root.order[0]!]! : map.linear.numConsecutiveInOut(REGISTER, `dim${i}`);
  let vec = Math.min(inRegisters, ptr.contiguity[i]!, Math.max(1, Math.floor(ptr.divisibility[i]! / bytes)), Math.max(1, 16 / bytes));
  if (mask) vec = Math.min(vec, mask.constancy[i]!);
  return Math.max(1, vec);
}

/**
 * Where the registers of a tile in `layout` go in a shared buffer of type `mt`: the composition of the register
 * layout with the inverse of the buffer's layout, (register, lane, warp) -> element offset. Also how many
 * consecutive registers land on consecutive offsets with the per-thread part aligned to them (a vector access).
 */
export function sharedPlacement(layout: Layout, shape: readonly number[], mt: MemDescType): { placed: LinearLayout; run: number } {
  const toOffset = sharedLinearLayoutOf(mt.encoding, mt.shape, bitWidth(mt.element)).invert();
  const placed = linearLayoutOf(layout, shape).compose(toOffset);
  const threadBits = [LANE, WARP].flatMap((dim) => placed.bases[dim] ?? []).reduce((acc, b) => acc | b[0]!, 0);
  let run = placed.numConsecutiveInOut(REGISTER, OFFSET);
  while (run > 1 && (threadBits & (run - 1)) !== 0) run /= 2;
  return { placed, run };
}
