// Index arithmetic written once over two carriers: IR values (the code a thread runs) and numbers (what that code
// computes for a given register, lane and warp). Addressing built on it can be evaluated at every thread before it
// is emitted, which is how an exchange finds that its addresses are a linear function of the thread (linearForm).
import type { Value } from '../../ir/core.ts';
import { i1, i32 } from '../../ir/types.ts';
import type { AnyTileMap } from '../tile-map.ts';
import { WARP_SIZE } from '../layout-choice.ts';
import type { Lowering } from './lowering.ts';

/** The integer operations index computations use, on i32 values or on numbers. */
export interface IndexArith<T> {
  c(n: number): T;
  add(a: T, b: T): T;
  mul(a: T, k: number): T;
  shr(a: T, k: number): T;
  and(a: T, mask: number): T;
  /** `ifZero` where `which` is 0, else `otherwise`. */
  selectOnZero(which: T, ifZero: T, otherwise: T): T;
}

export const numberArith: IndexArith<number> = {
  c: (n) => n,
  add: (a, b) => a + b,
  mul: (a, k) => a * k,
  shr: (a, k) => a >>> k,
  and: (a, mask) => a & mask,
  selectOnZero: (which, ifZero, otherwise) => (which === 0 ? ifZero : otherwise),
};

/** The same operations emitted as IR by `lw`. */
export function valueArith(lw: Lowering): IndexArith<Value> {
  return {
    c: (n) => lw.c32(n),
    add: (a, b) => lw.add(a, b),
    mul: (a, k) => lw.mul(a, k),
    shr: (a, k) => lw.shr(a, k),
    and: (a, mask) => lw.and(a, mask),
    selectOnZero: (which, ifZero, otherwise) => lw.op1('arith.select', [lw.op1('arith.cmpi', [which, lw.c32(0)], i1, { predicate: 'eq' }), ifZero, otherwise], i32),
  };
}

/** The linear index of `coords` within a tile of `shape` laid out along `order` (its fastest dimension first). */
export function orderedIndex<T>(ar: IndexArith<T>, coords: readonly T[], shape: readonly number[], order: readonly number[]): T {
  let acc: T | undefined;
  let stride = 1;
  for (const d of order) {
    const term = ar.mul(coords[d]!, stride);
    acc = acc === undefined ? term : ar.add(acc, term);
    stride *= shape[d]!;
  }
  return acc ?? ar.c(0);
}

/** The row-major linear index of `coords` within a tile of `shape`. */
export function rowMajor<T>(ar: IndexArith<T>, coords: readonly T[], shape: readonly number[]): T {
  return orderedIndex(ar, coords, shape, shape.map((_, i) => shape.length - 1 - i));
}

/** The coordinates within a tile of `shape` (of powers of two) of a row-major linear index: shifts and masks. */
export function unravel<T>(ar: IndexArith<T>, linear: T, shape: readonly number[]): T[] {
  let stride = shape.reduce((a, b) => a * b, 1);
  return shape.map((d) => {
    stride /= d;
    const shifted = ar.shr(linear, Math.log2(stride));
    return d === 1 ? ar.c(0) : ar.and(shifted, d - 1);
  });
}

/**
 * A function of (register, lane, warp) over a tile's map written as a per-register constant XOR a linear function
 * of the lane and warp bits: f(r, l, w) = constants[r] ^ (XOR of laneBases[i] over the set bits i of l, and of
 * warpBases[j] over those of w). Checked at every register, lane and warp; undefined where f is not of that form.
 */
export interface LinearForm {
  constants: number[];
  laneBases: number[];
  warpBases: number[];
}

export function linearForm(map: AnyTileMap, f: (coords: readonly number[]) => number): LinearForm | undefined {
  const warps = map.numThreads / WARP_SIZE;
  const at = (r: number, lane: number, warp: number): number => f(map.coordinates(r, lane, warp));
  const constants = Array.from({ length: map.numRegs }, (_, r) => at(r, 0, 0));
  const base = constants[0]!;
  const laneBases = Array.from({ length: Math.log2(WARP_SIZE) }, (_, i) => at(0, 1 << i, 0) ^ base);
  const warpBases = Array.from({ length: Math.log2(warps) }, (_, i) => at(0, 0, 1 << i) ^ base);
  const part = (bases: readonly number[], bits: number): number => bases.reduce((acc, b, i) => ((bits >> i) & 1 ? acc ^ b : acc), 0);
  for (let warp = 0; warp < warps; warp++)
    for (let lane = 0; lane < WARP_SIZE; lane++) {
      const thread = part(laneBases, lane) ^ part(warpBases, warp);
      for (let r = 0; r < map.numRegs; r++) if (at(r, lane, warp) !== (constants[r]! ^ thread)) return undefined;
    }
  return { constants, laneBases, warpBases };
}
