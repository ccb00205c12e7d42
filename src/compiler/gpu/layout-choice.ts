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
  const spt = Array<number>(shape.length).fill(1);
  spt[order[0]!] = Math.max(1, Math.min(vec, shape[order[0]!]!));
  return blockedWith(shape, numWarps, order, spt);
}

/** A blocked layout with the given elements per thread; lanes and warps fill the dimensions in `order`. */
export function blockedWith(shape: readonly number[], numWarps: number, order: readonly number[], spt: readonly number[]): BlockedLayout {
  const rank = shape.length;
  const tpw = Array<number>(rank).fill(1);
  const wpc = Array<number>(rank).fill(1);
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

/**
 * The accumulator layout of a dot on FMA units: each thread holds a rectangle of the result (up to 4 rows by 8
 * columns), so that each step along k reads a few operand elements from shared memory, as vectors, for many FMAs.
 */
export function fmaDotLayout(shape: readonly number[], numWarps: number): BlockedLayout {
  const [m, n] = shape as [number, number];
  const perThread = Math.max(1, (m * n) / (WARP_SIZE * numWarps));
  const cols = Math.min(n, 8, perThread);
  const rows = Math.min(m, 4, Math.max(1, perThread / cols));
  return blockedWith(shape, numWarps, [1, 0], [rows, cols]);
}
