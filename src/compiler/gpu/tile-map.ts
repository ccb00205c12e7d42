// Which elements of a tile each thread holds, and in which of its registers, for a (possibly sliced) blocked
// layout. Along each dimension of the root layout, a thread at offset t = (warp_d * threadsPerWarp_d +
// lane_d) * sizePerThread_d holds, for each repetition of the program-wide tile, the elements t + e for e below
// sizePerThread_d; a tile smaller than the program-wide tile wraps (coordinates modulo its extent), so
// several threads hold the same element and only the one that did not wrap "owns" it.
import { BlockedLayout, isBlockedRooted, keptDims, rootLayout, type Layout } from '../ir/layouts.ts';
import { LANE, REGISTER, WARP, linearLayoutOf, type LinearLayout } from './linear-layout.ts';
import { WARP_SIZE } from './layout-choice.ts';

const log2 = (n: number): number => Math.round(Math.log2(n));

export class TileMap {
  readonly root: BlockedLayout;
  /** Tile dimension i is root dimension dims[i]. */
  readonly dims: readonly number[];
  /** Extent of the tile along each root dimension (1 for sliced dimensions). */
  readonly extent: readonly number[];
  /** Elements along each root dimension that the program-wide arrangement covers. */
  readonly ctaTile: readonly number[];
  /** Elements a thread holds per repetition along each root dimension. */
  readonly perRep: readonly number[];
  /** Repetitions of the program-wide arrangement along each root dimension. */
  readonly reps: readonly number[];
  /** Registers along each root dimension (1 for sliced dimensions). */
  readonly counts: readonly number[];
  /** Register index stride of each root dimension. */
  readonly strides: readonly number[];
  readonly numRegs: number;
  /** Lowest bit of the lane (and warp) index that counts along each root dimension. */
  readonly laneShift: readonly number[];
  readonly warpShift: readonly number[];

  constructor(
    readonly layout: Layout,
    readonly shape: readonly number[],
  ) {
    const root = rootLayout(layout);
    this.root = root;
    this.dims = keptDims(layout);
    if (this.dims.length !== shape.length) throw new Error(`layout ${layout.text} has rank ${this.dims.length}, tile has ${shape.length}`);
    const rank = root.rank;
    const extent = Array<number>(rank).fill(1);
    this.dims.forEach((d, i) => (extent[d] = shape[i]!));
    this.extent = extent;
    this.ctaTile = extent.map((_, d) => root.sizePerThread[d]! * root.threadsPerWarp[d]! * root.warpsPerCTA[d]!);
    this.perRep = extent.map((x, d) => Math.min(root.sizePerThread[d]!, x));
    this.reps = extent.map((x, d) => Math.max(1, x / this.ctaTile[d]!));
    const kept = new Set(this.dims);
    this.counts = extent.map((_, d) => (kept.has(d) ? this.reps[d]! * this.perRep[d]! : 1));
    const strides = Array<number>(rank).fill(0);
    let s = 1;
    for (const d of root.order) {
      strides[d] = s;
      s *= this.counts[d]!;
    }
    this.strides = strides;
    this.numRegs = s;
    const laneShift = Array<number>(rank).fill(0);
    const warpShift = Array<number>(rank).fill(0);
    let lb = 0;
    let wb = 0;
    for (const d of root.order) {
      laneShift[d] = lb;
      warpShift[d] = wb;
      lb += log2(root.threadsPerWarp[d]!);
      wb += log2(root.warpsPerCTA[d]!);
    }
    this.laneShift = laneShift;
    this.warpShift = warpShift;
  }

  /** The local index of register r along each root dimension. */
  local(r: number): number[] {
    return this.counts.map((c, d) => Math.floor(r / this.strides[d]!) % c);
  }

  register(local: readonly number[]): number {
    return local.reduce((acc, l, d) => acc + l * this.strides[d]!, 0);
  }

  /** The thread-independent part of the coordinate along root dimension d for local index l. */
  constOffset(d: number, l: number): number {
    const p = this.perRep[d]!;
    return Math.floor(l / p) * this.ctaTile[d]! + (l % p);
  }

  /** Whether coordinates along root dimension d wrap (the tile is smaller than the arrangement). */
  wraps(d: number): boolean {
    return this.ctaTile[d]! > this.extent[d]!;
  }

  /** The coordinates of an element held by the thread with lane and warp index (for tests and simulation). */
  coordinates(r: number, lane: number, warp: number): number[] {
    const local = this.local(r);
    return this.dims.map((d) => {
      const c = this.threadOffset(d, lane, warp) + this.constOffset(d, local[d]!);
      return c % this.extent[d]!;
    });
  }

  threadOffset(d: number, lane: number, warp: number): number {
    const root = this.root;
    const laneIdx = (lane >> this.laneShift[d]!) & (root.threadsPerWarp[d]! - 1);
    const warpIdx = (warp >> this.warpShift[d]!) & (root.warpsPerCTA[d]! - 1);
    return (warpIdx * root.threadsPerWarp[d]! + laneIdx) * root.sizePerThread[d]!;
  }

  /** Lanes along root dimension d that hold distinct elements (the rest repeat them). */
  uniqueLanes(d: number): number {
    const root = this.root;
    return Math.min(root.threadsPerWarp[d]!, Math.max(1, Math.ceil(this.extent[d]! / root.sizePerThread[d]!)));
  }

  uniqueWarps(d: number): number {
    const root = this.root;
    return Math.min(root.warpsPerCTA[d]!, Math.max(1, Math.ceil(this.extent[d]! / (root.sizePerThread[d]! * root.threadsPerWarp[d]!))));
  }

  /**
   * The register of `source` (the same root layout, a tile this one broadcasts or expands from) that holds
   * the element of register r of this tile.
   */
  sourceRegister(source: TileMap, r: number): number {
    const local = this.local(r);
    return source.register(local.map((l, d) => (source.counts[d] === 1 ? 0 : source.extent[d] === this.extent[d] ? l : 0)));
  }

  /** Registers whose elements lie consecutively along the fastest dimension, in groups of at most `vec`. */
  vectorGroups(vec: number): number[][] {
    const fastest = this.root.order[0]!;
    const run = Math.max(1, Math.min(vec, this.perRep[fastest]!));
    const groups: number[][] = [];
    for (let r = 0; r < this.numRegs; r++) {
      const l = this.local(r)[fastest]!;
      if (l % run !== 0) continue;
      groups.push(Array.from({ length: run }, (_, k) => r + k * this.strides[fastest]!));
    }
    return groups;
  }

  /** Total threads in the program. */
  get numThreads(): number {
    return WARP_SIZE * this.root.numWarps;
  }
}

/**
 * Which element each register of each thread holds, for any register layout (tensor-core accumulators and
 * operands, slices of them), read off the layout's linear map: coordinates are the XOR of the bases of the set
 * bits of (register, lane, warp). Blocked layouts keep TileMap, whose structure the reductions, scans and the
 * FMA dot use; the ops that work on any layout use what both maps share.
 */
export class LinearTileMap {
  readonly linear: LinearLayout;
  readonly numRegs: number;
  /** Lane (and warp) bits whose bases are zero: the threads differing only there hold copies of each other's elements. */
  readonly freeLaneMask: number;
  readonly freeWarpMask: number;

  constructor(
    readonly layout: Layout,
    readonly shape: readonly number[],
  ) {
    this.linear = linearLayoutOf(layout, shape);
    this.numRegs = this.linear.inDimSize(REGISTER);
    const free = this.linear.freeVariableMasks();
    this.freeLaneMask = free[LANE] ?? 0;
    this.freeWarpMask = free[WARP] ?? 0;
  }

  coordinates(r: number, lane: number, warp: number): number[] {
    const out = this.linear.apply({ [REGISTER]: r, [LANE]: lane, [WARP]: warp });
    return this.shape.map((_, i) => out[`dim${i}`]!);
  }

  /** The bases of an input dimension (lane or warp), one vector of tile coordinates per bit. */
  bases(inDim: typeof LANE | typeof WARP): readonly (readonly number[])[] {
    return this.linear.bases[inDim] ?? [];
  }

  /** Registers whose elements lie consecutively along the last dimension, in groups of at most `vec`. */
  vectorGroups(vec: number): number[][] {
    const last = `dim${this.shape.length - 1}`;
    const run = Math.max(1, Math.min(vec, this.linear.numConsecutiveInOut(REGISTER, last)));
    const groups: number[][] = [];
    for (let r = 0; r < this.numRegs; r += run) groups.push(Array.from({ length: run }, (_, k) => r + k));
    return groups;
  }

  /**
   * The register of `source` holding the element of register r, for a tile that broadcasts or expands `source`
   * (`project` maps this tile's coordinates to the source's). Every thread must hold in `source` the projections
   * of its own elements, which holds when both layouts come from one parent: their lane and warp bases agree.
   */
  sourceRegister(source: LinearTileMap, r: number, project: (c: readonly number[]) => number[]): number {
    for (const dim of [LANE, WARP] as const) {
      const mine = this.bases(dim).map((b) => project(b).join());
      const theirs = source.bases(dim).map((b) => b.join());
      if (mine.join('|') !== theirs.join('|')) throw new Error(`lowering: ${this.layout.text} does not broadcast ${source.layout.text} within threads`);
    }
    const want = project(this.coordinates(r, 0, 0)).join();
    for (let s = 0; s < source.numRegs; s++) if (source.coordinates(s, 0, 0).join() === want) return s;
    throw new Error(`lowering: no register of ${source.layout.text} holds element [${want}]`);
  }

  get numThreads(): number {
    return WARP_SIZE * this.numWarps;
  }

  get numWarps(): number {
    return 2 ** this.linear.inDimSizeLog2(WARP);
  }
}

/** A tile's register map: TileMap for blocked layouts (and slices of them), LinearTileMap for the others. */
export type AnyTileMap = TileMap | LinearTileMap;

export function tileMapOf(layout: Layout, shape: readonly number[]): AnyTileMap {
  return isBlockedRooted(layout) ? new TileMap(layout, shape) : new LinearTileMap(layout, shape);
}
