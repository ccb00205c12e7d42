// Layouts (encodings) of tiles on the GPU, as in Triton's TTGIR: how a tile's elements are spread over the
// registers of the threads of a program (blocked, slice) or laid out in shared memory (shared).
// A tensor type carries its layout: tensor<128x64xf32, #ttg.blocked<...>>.

export abstract class Layout {
  abstract readonly text: string;
  /** The rank of tiles this layout applies to. */
  abstract readonly rank: number;
  toString(): string {
    return this.text;
  }
}

const list = (xs: readonly number[]): string => `[${xs.join(', ')}]`;

/**
 * Each thread holds `sizePerThread` consecutive elements per dimension; a warp's 32 threads are arranged
 * `threadsPerWarp`, a program's warps `warpsPerCTA`; `order` lists dimensions from fastest to slowest varying
 * (for both threads and registers). A tile larger than this arrangement repeats it; a smaller one wraps,
 * so several threads hold the same element.
 */
export class BlockedLayout extends Layout {
  readonly text: string;
  constructor(
    readonly sizePerThread: readonly number[],
    readonly threadsPerWarp: readonly number[],
    readonly warpsPerCTA: readonly number[],
    readonly order: readonly number[],
  ) {
    super();
    this.text = `#ttg.blocked<{sizePerThread = ${list(sizePerThread)}, threadsPerWarp = ${list(threadsPerWarp)}, warpsPerCTA = ${list(warpsPerCTA)}, order = ${list(order)}}>`;
  }
  get rank(): number {
    return this.order.length;
  }
  get numWarps(): number {
    return this.warpsPerCTA.reduce((a, b) => a * b, 1);
  }
}

/** The layout of a tile that `parent`'s tiles reduce to along `dim` (or expand from with expandDims). */
export class SliceLayout extends Layout {
  readonly text: string;
  constructor(
    readonly dim: number,
    readonly parent: Layout,
  ) {
    super();
    this.text = `#ttg.slice<{dim = ${dim}, parent = ${parent.text}}>`;
  }
  get rank(): number {
    return this.parent.rank - 1;
  }
}

/**
 * Shared memory, row-major along `order` (fastest first), with rows swizzled to avoid bank conflicts: in row r,
 * vectors of `vec` elements are XOR-ed with ((r / perPhase) % maxPhase).
 */
export class SharedLayout extends Layout {
  readonly text: string;
  constructor(
    readonly vec: number,
    readonly perPhase: number,
    readonly maxPhase: number,
    readonly order: readonly number[],
  ) {
    super();
    this.text = `#ttg.shared<{vec = ${vec}, perPhase = ${perPhase}, maxPhase = ${maxPhase}, order = ${list(order)}}>`;
  }
  get rank(): number {
    return this.order.length;
  }
}

const interned = new Map<string, Layout>();
function intern<T extends Layout>(l: T): T {
  const seen = interned.get(l.text);
  if (seen) return seen as T;
  interned.set(l.text, l);
  return l;
}

export const blockedLayout = (sizePerThread: readonly number[], threadsPerWarp: readonly number[], warpsPerCTA: readonly number[], order: readonly number[]): BlockedLayout =>
  intern(new BlockedLayout([...sizePerThread], [...threadsPerWarp], [...warpsPerCTA], [...order]));
export const sliceLayout = (dim: number, parent: Layout): SliceLayout => intern(new SliceLayout(dim, parent));
export const sharedLayout = (vec: number, perPhase: number, maxPhase: number, order: readonly number[]): SharedLayout => intern(new SharedLayout(vec, perPhase, maxPhase, [...order]));

/** The blocked layout at the root of a chain of slices. */
export function rootLayout(l: Layout): BlockedLayout {
  if (l instanceof BlockedLayout) return l;
  if (l instanceof SliceLayout) return rootLayout(l.parent);
  throw new Error(`${l.text} is not a register layout`);
}

/** The dimensions of the root layout that a (possibly sliced) layout keeps, in the layout's own dimension order. */
export function keptDims(l: Layout): number[] {
  if (l instanceof BlockedLayout) return l.order.map((_, i) => i);
  if (l instanceof SliceLayout) {
    const parentDims = keptDims(l.parent);
    return parentDims.filter((_, i) => i !== l.dim);
  }
  throw new Error(`${l.text} is not a register layout`);
}
