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
 * The accumulator of a tensor-core dot: mma.sync's m16n8 fragments (versionMajor 2) or wgmma's m64nN
 * warpgroup fragments (versionMajor 3), tiled over the program's warps by `warpsPerCTA` (for wgmma, 4
 * consecutive warps, one warpgroup, cover 64 rows). `instrShape` is the instruction's [M, N, K] per warp
 * (v2: [16, 8]) or per warpgroup (v3: [16, N, K], M counting one warp's rows as Triton writes it).
 */
export class NvidiaMmaLayout extends Layout {
  readonly text: string;
  constructor(
    readonly versionMajor: 2 | 3,
    readonly warpsPerCTA: readonly number[],
    readonly instrShape: readonly number[],
  ) {
    super();
    this.text = `#ttg.nvidia_mma<{versionMajor = ${versionMajor}, warpsPerCTA = ${list(warpsPerCTA)}, instrShape = ${list(instrShape)}}>`;
  }
  get rank(): number {
    return 2;
  }
  get numWarps(): number {
    return this.warpsPerCTA.reduce((a, b) => a * b, 1);
  }
}

/**
 * An operand of mma.sync held in registers (opIdx 0: A, 1: B), in the fragments of `parent`'s instruction;
 * `kWidth` elements along K share one 32-bit register (2 for 16-bit types, 4 for 8-bit, 1 for tf32).
 */
export class DotOperandLayout extends Layout {
  readonly text: string;
  constructor(
    readonly opIdx: 0 | 1,
    readonly parent: NvidiaMmaLayout,
    readonly kWidth: number,
  ) {
    super();
    this.text = `#ttg.dot_op<{opIdx = ${opIdx}, parent = ${parent.text}, kWidth = ${kWidth}}>`;
  }
  get rank(): number {
    return 2;
  }
}

/** Layouts of tiles in shared memory (the encodings a !ttg.memdesc carries). */
export abstract class SharedEncoding extends Layout {}

/**
 * Shared memory, row-major along `order` (fastest first), with rows swizzled to avoid bank conflicts: in row r,
 * vectors of `vec` elements are XOR-ed with ((r / perPhase) % maxPhase).
 */
export class SharedLayout extends SharedEncoding {
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

/**
 * The shared layouts the tensor cores (wgmma, and TMA) read: rows of the contiguous dimension (dim1, or dim0
 * when `transposed`) cut into atoms of `swizzlingByteWidth` bytes by 8 rows, whose 16-byte chunks are XOR-ed
 * with the row within the atom (PTX ISA, "Shared Memory Matrix Layout"). 0 means no swizzle.
 */
export class NvmmaSharedLayout extends SharedEncoding {
  readonly text: string;
  constructor(
    readonly swizzlingByteWidth: 0 | 32 | 64 | 128,
    readonly elementBitWidth: number,
    readonly transposed: boolean,
  ) {
    super();
    this.text = `#ttg.nvmma_shared<{swizzlingByteWidth = ${swizzlingByteWidth}, transposed = ${transposed}, elementBitWidth = ${elementBitWidth}}>`;
  }
  get rank(): number {
    return 2;
  }
  /** The tile dimension whose elements are contiguous (in 16-byte chunks). */
  get contiguousDim(): number {
    return this.transposed ? 0 : 1;
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
export const nvidiaMmaLayout = (versionMajor: 2 | 3, warpsPerCTA: readonly number[], instrShape: readonly number[]): NvidiaMmaLayout =>
  intern(new NvidiaMmaLayout(versionMajor, [...warpsPerCTA], [...instrShape]));
export const dotOperandLayout = (opIdx: 0 | 1, parent: NvidiaMmaLayout, kWidth: number): DotOperandLayout => intern(new DotOperandLayout(opIdx, parent, kWidth));
export const nvmmaSharedLayout = (swizzlingByteWidth: 0 | 32 | 64 | 128, elementBitWidth: number, transposed: boolean): NvmmaSharedLayout =>
  intern(new NvmmaSharedLayout(swizzlingByteWidth, elementBitWidth, transposed));

/** Whether a register layout is a blocked layout or a slice of one (what the FMA-era lowering of some ops needs). */
export function isBlockedRooted(l: Layout): boolean {
  if (l instanceof BlockedLayout) return true;
  if (l instanceof SliceLayout) return isBlockedRooted(l.parent);
  return false;
}

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
