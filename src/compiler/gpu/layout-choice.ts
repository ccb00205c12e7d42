// How kt picks blocked layouts: lanes and warps spread along the fastest dimensions first, each thread holding
// `vec` consecutive elements along the fastest one (16 bytes, where the data allows it, for vector accesses).
import { blockedLayout, type BlockedLayout } from '../ir/layouts.ts';

export const WARP_SIZE = 32;

/** The default order: the last dimension fastest (row-major). */
export const rowMajorOrder = (rank: number): number[] => Array.from({ length: rank }, (_, i) => rank - 1 - i);

/**
 * A blocked layout for `shape` over `numWarps` warps: `vec` elements per thread along order[0], lanes then warps
 * filling the dimensions in `order`; what is left over repeats along the slowest dimension (threads share elements).
 */
export function blockedFor(shape: readonly number[], numWarps: number, order: readonly number[] = rowMajorOrder(shape.length), vec = 1): BlockedLayout {
  const rank = shape.length;
  const spt = Array<number>(rank).fill(1);
  const tpw = Array<number>(rank).fill(1);
  const wpc = Array<number>(rank).fill(1);
  const fastest = order[0]!;
  spt[fastest] = Math.max(1, Math.min(vec, shape[fastest]!));
  let lanes = WARP_SIZE;
  for (const d of order) {
    const room = Math.max(1, shape[d]! / spt[d]!);
    tpw[d] = Math.min(lanes, room);
    lanes /= tpw[d]!;
  }
  tpw[order[rank - 1]!]! *= lanes;
  let warps = numWarps;
  for (const d of order) {
    const room = Math.max(1, shape[d]! / (spt[d]! * tpw[d]!));
    wpc[d] = Math.min(warps, room);
    warps /= wpc[d]!;
  }
  wpc[order[rank - 1]!]! *= warps;
  return blockedLayout(spt, tpw, wpc, order);
}
