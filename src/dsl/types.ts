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

declare global {
  interface Number {
    /**
     * Converts a tile to `dtype` (Triton's `x.to(dtype)`); with `{ bitcast: true }` reinterprets the bits.
     * Only meaningful inside a kernel.
     */
    to(dtype: DTypeLike, options?: { bitcast?: boolean; fpDowncastRounding?: 'rtne' }): number;
  }
  interface Boolean {
    /** Converts a mask to `dtype` (true becomes 1). Only meaningful inside a kernel. */
    to(dtype: DTypeLike, options?: { bitcast?: boolean }): number;
  }
}
