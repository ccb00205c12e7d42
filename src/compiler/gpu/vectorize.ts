// How many consecutive elements one memory access of a thread may move: as many as the layout keeps in
// consecutive registers along its fastest dimension, the pointers are contiguous and aligned for, and the
// mask is constant over, up to 16 bytes. Shared by the lowering and the passes that must know in advance
// (the pipeliner, whose cp.async copies need 4, 8 or 16 bytes).
import type { AxisInfo } from './axis-info.ts';
import { REGISTER } from './linear-layout.ts';
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
