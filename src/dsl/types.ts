// The types a kernel's TypeScript is written against. kt never runs a kernel as JavaScript: it compiles the
// source. These types only let the editor and `tsc` accept kernels written with ordinary operators
// (`pid * BLOCK + tl.arange(0, BLOCK)`, `x + offs`, `a < n`), so every tile is typed as a number.
import type { DType, PointerDType } from '../compiler/semantic/dtype.ts';

/** A tile (block) of values or a scalar, on which kernels compute with ordinary operators. */
export type Tile = number;

/** A condition or mask: what comparisons give (`offs < n`); combine masks with `&&`, `||` and `!`. */
export type Mask = boolean | number;

/** Anything a tl function accepts as a value: a tile, a scalar, a literal, a mask. */
export type Value = Tile | Mask | bigint;

/**
 * A pointer argument (or a tile of pointers). `Ptr<f16>` declares what it points to; a bare `Ptr` takes the
 * dtype of the tensor passed at launch. Offsets are added with `+`: `x + offs`.
 */
export type Ptr<T extends DTypeTag = DTypeTag> = number & { readonly __ktPointee?: T };

/**
 * A compile-time parameter (Triton's tl.constexpr): its value is baked into the compiled kernel, so it can
 * set tile shapes (`tl.arange(0, BLOCK)`) and drive `if`s that are resolved at compile time.
 */
export type constexpr<T = number> = T;

/** Scalar parameter annotations: `n: i32`, `scale: f32`. An unannotated number is i32 (i64 if large) or f32. */
export type i1 = number;
export type i8 = number;
export type i16 = number;
export type i32 = number;
export type i64 = number;
export type u8 = number;
export type u16 = number;
export type u32 = number;
export type u64 = number;
/** 8-bit floats, for pointees (`Ptr<f8e4m3>`): scalar parameters cannot be fp8 (take an f32 and convert). */
export type f8e4m3 = number;
export type f8e5m2 = number;
export type f16 = number;
export type bf16 = number;
export type f32 = number;
export type f64 = number;

type DTypeTag = number;

/** A dtype as kernels name it: tl.float32 (or tl.f32), tl.pointerType(...) for pointers. */
export type DTypeLike = DType | PointerDType;

type Shape = readonly number[] | number;
type Axis = number | null;
interface ReduceOptions {
  axis?: Axis;
  keepDims?: boolean;
}

/**
 * A tile's dtype as TypeScript sees it. Pointers are numbers too, so it also has `elementTy`, the dtype a pointer
 * points to (Triton's `x_ptr.dtype.element_ty`), which kt refuses at compile time on tiles that are not pointers.
 */
export interface TileDType extends DType {
  readonly elementTy: DType;
}

/**
 * What kernels can ask of a tile (Triton's tensor members): its dtype and shape, known at compile time, and the
 * method forms of tl functions (`x.sum(1)` is `tl.sum(x, 1)`). Only meaningful inside a kernel.
 */
export interface TileMembers {
  /** The element dtype, a compile-time value (`x.to(y.dtype)`, `tl.zeros([8], x.dtype)`, `x.dtype === tl.float16`). */
  readonly dtype: TileDType;
  /** The shape, a compile-time list ([] for a scalar): `x.shape[0]`. */
  readonly shape: readonly number[];
  /** The number of elements (1 for a scalar), at compile time. */
  readonly numel: number;
  /** The transpose of a 2-D tile (tl.trans(x)). */
  readonly T: number;
  /**
   * Converts to `dtype` (Triton's `x.to(dtype)`, tl.cast); with `{ bitcast: true }` reinterprets the bits.
   * A mask converts true to 1. `fpDowncastRounding: 'rtz'` rounds a float narrowed to a float toward zero.
   */
  to(dtype: DTypeLike, options?: { bitcast?: boolean; fpDowncastRounding?: 'rtne' | 'rtz' }): number;
  /** tl.reshape: the same elements (row-major) under another shape, given as a list or as dimensions. */
  reshape(shape: Shape, options?: { canReorder?: boolean }): number;
  reshape(...shape: number[]): number;
  /** tl.trans: swaps the dimensions of a 2-D tile, or permutes them: x.trans(1, 0, 2). */
  trans(...dims: (number | readonly number[])[]): number;
  /** tl.permute: result dimension i is dimension dims[i]. */
  permute(...dims: (number | readonly number[])[]): number;
  /** tl.expandDims: a dimension of size 1 at `axis` (Triton's x[:, None] is x.expandDims(1)). */
  expandDims(axis: number | readonly number[]): number;
  /** tl.broadcastTo, the shape given as a list or as dimensions. */
  broadcastTo(shape: Shape): number;
  broadcastTo(...shape: number[]): number;
  /** tl.ravel: a 1-D tile of all elements. */
  ravel(): number;
  /** tl.split: the two halves of a tile whose last dimension is 2. */
  split(): [number, number];
  /** tl.sum along `axis` (all elements when omitted). */
  sum(axisOrOptions?: Axis | (ReduceOptions & { dtype?: DType | null }), keepDims?: boolean, dtype?: DType | null): number;
  /** tl.max along `axis`; with returnIndices, [values, indices]. */
  max(options: ReduceOptions & { returnIndices: true; returnIndicesTieBreakLeft?: boolean }): [number, number];
  max(axisOrOptions?: Axis | ReduceOptions, returnIndices?: false, returnIndicesTieBreakLeft?: boolean, keepDims?: boolean): number;
  /** tl.min along `axis`; with returnIndices, [values, indices]. */
  min(options: ReduceOptions & { returnIndices: true; returnIndicesTieBreakLeft?: boolean }): [number, number];
  min(axisOrOptions?: Axis | ReduceOptions, returnIndices?: false, returnIndicesTieBreakLeft?: boolean, keepDims?: boolean): number;
  /** tl.argmax along `axis`. */
  argmax(axis: Axis, options?: { tieBreakLeft?: boolean; keepDims?: boolean }): number;
  /** tl.argmin along `axis`. */
  argmin(axis: Axis, options?: { tieBreakLeft?: boolean; keepDims?: boolean }): number;
  /** tl.xorSum along `axis`. */
  xorSum(axisOrOptions?: Axis | ReduceOptions, keepDims?: boolean): number;
  /** tl.cumsum along `axis` (default 0). */
  cumsum(axis?: number | { axis?: number; reverse?: boolean; dtype?: DType | null }, reverse?: boolean): number;
  /** tl.cumprod along `axis` (default 0). */
  cumprod(axis?: number | { axis?: number; reverse?: boolean; dtype?: DType | null }, reverse?: boolean): number;
  /** tl.flip: the elements in reverse order along `dim` (default: the last). */
  flip(dim?: number | null): number;
  /** tl.sort along `dim` (default: the last). */
  sort(dim?: number | null, descending?: boolean): number;
  /** tl.gather: this tile's elements along `axis` at the positions `index` gives. */
  gather(index: number, axis: number): number;
  /** tl.histogram of this 1-D integer tile. */
  histogram(numBins: number, options?: { mask?: boolean | number }): number;
  /** tl.cast (Triton's x.cast): the same as x.to(dtype). */
  cast(dtype: DTypeLike, options?: { bitcast?: boolean; fpDowncastRounding?: 'rtne' | 'rtz' }): number;
}

declare global {
  // Tiles are typed as numbers and masks as booleans (so that operators work); both have the tile members.
  interface Number extends TileMembers {}
  interface Boolean extends TileMembers {}
}
