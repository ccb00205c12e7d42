// The kernel language's API: `tl`, as in Triton (names in camelCase). Kernels are compiled from their
// source, never run as JavaScript, so these functions only carry types and documentation; calling one
// outside a kernel throws. Semantics follow Triton: broadcasting, dtype promotion, masks.
import { dtypes, type DType, type PointerDType } from '../compiler/semantic/dtype.ts';
import type { DTypeLike, Mask, Tile, Value } from './types.ts';

type Shape = readonly number[] | number;
type Axis = number | null;

function stub(name: string): never {
  throw new Error(`tl.${name} can only be used inside a kernel: kt compiles kernel source to IR and never runs it as JavaScript. Launch the kernel instead: myKernel(grid, ...args).`);
}

export interface LoadOptions {
  /** Where false, nothing is read and the element is `other`. */
  mask?: Mask;
  /** The value of masked-off elements (undefined if not given). */
  other?: Value;
  /** PTX cache operator for the load: '' (default), '.ca', '.cg' or '.cv'. */
  cacheModifier?: '' | '.ca' | '.cg' | '.cv';
  /** L2 eviction priority hint. */
  evictionPolicy?: '' | 'evict_normal' | 'evict_first' | 'evict_last';
  /** A volatile load is never cached or removed. */
  volatile?: boolean;
}

export interface StoreOptions {
  /** Where false, nothing is written. */
  mask?: Mask;
  cacheModifier?: '' | '.wb' | '.cg' | '.cs' | '.wt';
  evictionPolicy?: '' | 'evict_normal' | 'evict_first' | 'evict_last';
}

export interface AtomicOptions {
  /** Where false, memory is not touched. */
  mask?: Mask;
  /** Memory ordering (default 'acq_rel'). */
  sem?: 'relaxed' | 'acquire' | 'release' | 'acq_rel';
  /** Which threads the ordering concerns (default 'gpu'). */
  scope?: 'gpu' | 'cta' | 'sys';
}

export interface RangeOptions {
  /** Software-pipelining depth for the loop's loads (a GPU hint). */
  numStages?: number;
  /** Unroll the loop body this many times. */
  loopUnrollFactor?: number;
}

export interface InlineAsmOptions {
  /** PTX, with $0, $1, ... for the registers the constraints list. */
  asm: string;
  /** "=r,r": one per register of an invocation, outputs (with '=') first; h, r, l (16, 32, 64-bit integers), f, d (f32, f64). */
  constraints: string;
  /** The inputs, broadcast to one shape. */
  args: readonly Value[];
  /** The result's dtype, or a list of dtypes for several results. */
  dtype: DType | readonly DType[];
  /** The asm only computes its results: an invocation whose results are unused may be removed (default false). */
  isPure?: boolean;
  /** Elements of each argument and result per invocation (default 1). */
  pack?: number;
}

/** One tile for one dtype; a tile per dtype, as a tuple, for a list of them. */
export type InlineAsmResult<D> = D extends readonly DType[] ? { -readonly [K in keyof D]: Tile } : Tile;

export interface ReduceOptions {
  axis?: Axis;
  keepDims?: boolean;
}

export const tl = {
  // ---- program model ----
  /** This program's index along `axis` (0, 1 or 2) of the launch grid. */
  programId: (axis: number): Tile => stub('programId'),
  /** The number of programs along `axis` of the launch grid. */
  numPrograms: (axis: number): Tile => stub('numPrograms'),
  /** Ceiling division (x + div - 1) / div, on integers; computed at compile time for constexprs. */
  cdiv: (x: Value, div: Value): Tile => stub('cdiv'),

  // ---- creation ----
  /** The tile [start, start+1, ..., end-1] of i32; end - start must be a power of two (compile-time). */
  arange: (start: number, end: number): Tile => stub('arange'),
  /** A tile of `shape` filled with zeros (dtype defaults to float32). */
  zeros: (shape: Shape, dtype?: DType): Tile => stub('zeros'),
  /** A tile of `shape` filled with `value`. */
  full: (shape: Shape, value: Value, dtype?: DType): Tile => stub('full'),
  /** Zeros with the shape and dtype of `input`. */
  zerosLike: (input: Value): Tile => stub('zerosLike'),
  /**
   * Converts to `dtype` (same as x.to(dtype)); `bitcast` reinterprets the bits instead. `fpDowncastRounding`, only
   * on a conversion from a float to a narrower float (f64 to f32, f16, bf16 or fp8; f32 to f16, bf16 or fp8; f16 or
   * bf16 to fp8), is 'rtne' (round to nearest even, the default) or 'rtz' (round toward zero: finite values past the
   * largest finite one give it rather than infinity; to fp8, infinities too, as fp8 conversions saturate).
   */
  cast: (input: Value, dtype: DTypeLike, options?: { bitcast?: boolean; fpDowncastRounding?: 'rtne' | 'rtz' }): Tile => stub('cast'),
  /** The dtype of a pointer to `dtype`, for casts between pointer types: p.to(tl.pointerType(tl.int8)). */
  pointerType: (dtype: DType): PointerDType => stub('pointerType'),

  // ---- shapes ----
  /** Broadcasts to `shape` (dimensions of size 1 repeat; missing leading dimensions are added), given as a list or as dimensions. */
  broadcastTo: ((input: Value, ...shape: (number | readonly number[])[]): Tile => stub('broadcastTo')) as {
    (input: Value, shape: Shape): Tile;
    (input: Value, ...shape: number[]): Tile;
  },
  /** Broadcasts two values to their common shape. */
  broadcast: (input: Value, other: Value): [Tile, Tile] => stub('broadcast'),
  /** Inserts a dimension of size 1 at `axis` (Triton's x[:, None] is expandDims(x, 1)). */
  expandDims: (input: Value, axis: number | readonly number[]): Tile => stub('expandDims'),
  /** The same elements under another shape (row-major), given as a list or as dimensions: reshape(x, [4, 8]), reshape(x, 4, 8). */
  reshape: ((input: Value, ...shape: unknown[]): Tile => stub('reshape')) as {
    (input: Value, shape: Shape, options?: { canReorder?: boolean }): Tile;
    (input: Value, ...shape: number[]): Tile;
  },
  /** A 1-D tile of all elements. */
  ravel: (input: Value): Tile => stub('ravel'),
  /** Transposes a 2-D tile, or permutes dimensions: trans(x, [1, 0, 2]). */
  trans: (input: Value, ...dims: (number | readonly number[])[]): Tile => stub('trans'),
  /** Permutes dimensions: result dimension i is input dimension dims[i]. */
  permute: (input: Value, ...dims: (number | readonly number[])[]): Tile => stub('permute'),
  /** Stacks two tiles along a new last dimension of size 2. */
  join: (a: Value, b: Value): Tile => stub('join'),
  /** Splits a tile whose last dimension is 2 into its two halves. */
  split: (a: Value): [Tile, Tile] => stub('split'),
  /**
   * Concatenates two tiles of one shape along dimension 0: `other`'s elements after `input`'s, as NumPy's
   * concatenate (Triton's cat may give them in any order and asks for canReorder; kt always gives this order, so
   * canReorder changes nothing). Dtypes promote as for arithmetic.
   */
  cat: (input: Value, other: Value, options?: { canReorder?: boolean }): Tile => stub('cat'),
  /** a[0], b[0], a[1], b[1], ... along the last dimension (join, then the last two dimensions merged); two scalars give a [2] tile. */
  interleave: (a: Value, b: Value): Tile => stub('interleave'),
  /** Reverses the order of the elements along `dim` (default: the last dimension). */
  flip: (x: Value, dim?: number | null | { dim?: number | null }): Tile => stub('flip'),
  /**
   * Gathers along `axis`: result[..., i, ...] = src[..., index[..., i, ...], ...]. `index` is a tile of integers of
   * the source's rank, its dimensions the source's but along `axis`, where it has any size (the result has its
   * shape). An index outside [0, n) is taken modulo n, the size of the axis (so -1 is the last element), on every
   * tier; Triton leaves those undefined.
   */
  gather: (src: Value, index: Value, axis: number): Tile => stub('gather'),
  /**
   * Sorts along `dim` (default: the last dimension), ascending unless `descending`: a bitonic network of
   * log2(n) (log2(n) + 1) / 2 rounds of compare-exchanges. Floats sort as NumPy's sort: NaN after every number
   * (before them when descending). Any dimension may be sorted (Triton sorts only the last).
   */
  sort: ((x: Value, dimOrOptions?: number | null | { dim?: number | null; descending?: boolean }, descending?: boolean): Tile => stub('sort')) as {
    (x: Value, options: { dim?: number | null; descending?: boolean }): Tile;
    (x: Value, dim?: number | null, descending?: boolean): Tile;
  },
  /**
   * For each bin b in [0, numBins), how many elements of the 1-D integer tile `input` equal b where `mask` holds:
   * an i32 tile [numBins]. Elements outside [0, numBins) are not counted. On the GPU, the bins are counted in shared
   * memory with atomic adds.
   */
  histogram: (input: Value, numBins: number, options?: { mask?: Mask }): Tile => stub('histogram'),

  // ---- memory ----
  /**
   * Loads through a pointer or a tile of pointers. Masked-off elements read nothing and take `other`.
   * An unmasked access outside the tensor is an error in the interpreter, with the source line.
   */
  load: ((pointer: Tile, maskOrOptions?: Mask | LoadOptions, other?: Value): Tile => stub('load')) as {
    (pointer: Tile, options?: LoadOptions): Tile;
    (pointer: Tile, mask: Mask, other?: Value): Tile;
  },
  /** Stores `value` (broadcast to the pointers' shape and converted to their dtype) where `mask` holds. */
  store: ((pointer: Tile, value: Value, maskOrOptions?: Mask | StoreOptions): void => stub('store')) as {
    (pointer: Tile, value: Value, options?: StoreOptions): void;
    (pointer: Tile, value: Value, mask: Mask): void;
  },

  // ---- math ----
  /** e^x. */
  exp: (x: Value): Tile => stub('exp'),
  /** 2^x. */
  exp2: (x: Value): Tile => stub('exp2'),
  /** Natural logarithm. */
  log: (x: Value): Tile => stub('log'),
  /** log(1 + x), accurate for x near 0 (where log(1 + x) would lose x's digits): within a few ulps on every tier. */
  log1p: (x: Value): Tile => stub('log1p'),
  /** Base-2 logarithm. */
  log2: (x: Value): Tile => stub('log2'),
  /** Square root, correctly rounded on every tier (sqrt.rn on the GPU, where Triton's is approximate). */
  sqrt: (x: Value): Tile => stub('sqrt'),
  /** Square root rounded to nearest (Triton's sqrt_rn): the same op as tl.sqrt, which kt always rounds correctly. */
  sqrtRn: (x: Value): Tile => stub('sqrtRn'),
  /** 1 / sqrt(x). */
  rsqrt: (x: Value): Tile => stub('rsqrt'),
  /** Absolute value. */
  abs: (x: Value): Tile => stub('abs'),
  /** Sine (radians). */
  sin: (x: Value): Tile => stub('sin'),
  /** Cosine (radians). */
  cos: (x: Value): Tile => stub('cos'),
  /** Hyperbolic tangent. */
  tanh: (x: Value): Tile => stub('tanh'),
  /** Rounds down to an integral value. */
  floor: (x: Value): Tile => stub('floor'),
  /** Rounds up to an integral value. */
  ceil: (x: Value): Tile => stub('ceil'),
  /** The error function. */
  erf: (x: Value): Tile => stub('erf'),
  /** 1 / (1 + e^-x). */
  sigmoid: (x: Value): Tile => stub('sigmoid'),
  /** x * y + z, rounded once. */
  fma: (x: Value, y: Value, z: Value): Tile => stub('fma'),
  /** Elementwise maximum; NaN is ignored unless propagateNan is 'all'. */
  maximum: (x: Value, y: Value, propagateNan?: boolean | 'all' | 'none'): Tile => stub('maximum'),
  /** Elementwise minimum; NaN is ignored unless propagateNan is 'all'. */
  minimum: (x: Value, y: Value, propagateNan?: boolean | 'all' | 'none'): Tile => stub('minimum'),
  /** min(max(x, min), max). */
  clamp: (x: Value, min: Value, max: Value, propagateNan?: boolean | 'all' | 'none'): Tile => stub('clamp'),
  /** Elementwise choice: x where condition holds, else y. */
  where: (condition: Mask, x: Value, y: Value): Tile => stub('where'),
  /** Triton's `a // b` on integers: division rounding toward zero (C semantics, as Triton on tensors). */
  floordiv: (x: Value, y: Value): Tile => stub('floordiv'),
  /** Floating-point division, correctly rounded whatever ieeeRounding says (kt's `/` on floats always is: div.rn on the GPU). */
  fdiv: (x: Value, y: Value, ieeeRounding?: boolean): Tile => stub('fdiv'),
  /** Floating-point division rounded to nearest (Triton's div_rn): the same as `/` on floats, which kt always rounds correctly. */
  divRn: (x: Value, y: Value): Tile => stub('divRn'),
  /**
   * Triton's swizzle2d: maps indices (i, j) of a row-major sizeI x sizeJ grid to those of the grid ordered by groups
   * of sizeG rows, column by column within a group (the last group may have fewer rows): the grouped program order
   * of a matmul. Returns [newI, newJ]; computed at compile time when every argument is a compile-time integer.
   */
  swizzle2d: (i: Value, j: Value, sizeI: Value, sizeJ: Value, sizeG: Value): [Tile, Tile] => stub('swizzle2d'),
  /** High half of the unsigned product of two 32- or 64-bit integers. */
  umulhi: (x: Value, y: Value): Tile => stub('umulhi'),

  // ---- inline assembly ----
  /**
   * Runs PTX over tiles, elementwise (Triton's inline_asm_elementwise): `args` (tiles or numbers) are broadcast to
   * one shape, and each invocation of `asm` takes `pack` elements of every argument and gives `pack` elements of every
   * result. In `asm`, $0, $1, ... name the registers in the order of `constraints` ("=r,=r,r,r"): outputs first
   * (with '='), then inputs; 'h', 'r', 'l' are 16-, 32- and 64-bit integer registers, 'f' and 'd' f32 and f64 ones.
   * Elements narrower than 32 bits share a register, min(32 / bits, pack) of them, the first in the low bits (pack 4
   * puts 4 x i8 in one 'r'); wider ones take a register each, so an i32 argument with pack 4 is 4 registers. Unused
   * high bits of a register are zero. `dtype` is the result's dtype, or a list of dtypes for several results
   * (returned as a tuple). `isPure` (default false) lets the compiler drop an invocation whose results are unused
   * and move it to another layout; `pack` defaults to 1. Each thread runs `asm` once per `pack` elements it holds,
   * and a tile's elements can be held by several threads (a 1-D tile of 32 on 4 warps, a reduction's result), as
   * in Triton: asm with effects (stores, atomics) runs once per copy, so make its effects idempotent or guard them.
   * A thread's last invocation, when it holds fewer than `pack` elements, is filled with copies of its first
   * element, whose results are dropped. Each invocation is printed in a `{ }` scope of its own, so `.reg`
   * declarations in `asm` do not clash. Only the GPU backend runs it: the interpreter refuses the kernel at compile
   * time, so autotune cannot check such a kernel's candidates against it (it says so; `check: 'none'` says you
   * know).
   *
   * ```ts
   * // x (u32) rotated left by 8 bits: a funnel shift of x:x.
   * const y = tl.inlineAsmElementwise({ asm: 'shf.l.wrap.b32 $0, $1, $1, $2;', constraints: '=r,r,r', args: [x, 8], dtype: tl.uint32, isPure: true });
   * ```
   */
  inlineAsmElementwise: ((asmOrOptions: string | InlineAsmOptions, ...rest: unknown[]): any => stub('inlineAsmElementwise')) as {
    <const D extends DType | readonly DType[]>(options: InlineAsmOptions & { dtype: D }): InlineAsmResult<D>;
    <const D extends DType | readonly DType[]>(asm: string, constraints: string, args: readonly Value[], dtype: D, isPure?: boolean, pack?: number): InlineAsmResult<D>;
  },

  // ---- reductions and scans ----
  /**
   * Sum along `axis` (all elements when axis is omitted). As in Triton, the result keeps the input's dtype except
   * that integers narrower than 32 bits sum in i32/u32. f16 and bf16 are added in f32 and the total is rounded
   * once (on every tier, so the interpreter and the GPU agree: a sum of 1024 bf16 ones is 1024). A given `dtype`
   * is the accumulation and the result dtype.
   */
  sum: ((input: Value, axisOrOptions?: Axis | (ReduceOptions & { dtype?: DType | null }), keepDims?: boolean): Tile => stub('sum')) as {
    (input: Value, options?: ReduceOptions & { dtype?: DType | null }): Tile;
    (input: Value, axis: Axis, keepDims?: boolean, dtype?: DType | null): Tile;
  },
  /** Maximum along `axis`; with returnIndices, [values, indices]. */
  max: ((input: Value, axisOrOptions?: Axis | ReduceOptions, ...rest: unknown[]): Tile => stub('max')) as {
    (input: Value, options: ReduceOptions & { returnIndices: true; returnIndicesTieBreakLeft?: boolean }): [Tile, Tile];
    (input: Value, options?: ReduceOptions): Tile;
    (input: Value, axis: Axis, returnIndices?: false, returnIndicesTieBreakLeft?: boolean, keepDims?: boolean): Tile;
  },
  /** Minimum along `axis`; with returnIndices, [values, indices]. */
  min: ((input: Value, axisOrOptions?: Axis | ReduceOptions, ...rest: unknown[]): Tile => stub('min')) as {
    (input: Value, options: ReduceOptions & { returnIndices: true; returnIndicesTieBreakLeft?: boolean }): [Tile, Tile];
    (input: Value, options?: ReduceOptions): Tile;
    (input: Value, axis: Axis, returnIndices?: false, returnIndicesTieBreakLeft?: boolean, keepDims?: boolean): Tile;
  },
  /** Index of the maximum along `axis` (the first one on ties). */
  argmax: (input: Value, axis: Axis, options?: { tieBreakLeft?: boolean; keepDims?: boolean }): Tile => stub('argmax'),
  /** Index of the minimum along `axis` (the first one on ties). */
  argmin: (input: Value, axis: Axis, options?: { tieBreakLeft?: boolean; keepDims?: boolean }): Tile => stub('argmin'),
  /** Exclusive-or of the elements along `axis`. */
  xorSum: (input: Value, axis?: Axis | ReduceOptions, keepDims?: boolean): Tile => stub('xorSum'),
  /**
   * Reduces along `axis` with `combineFn`, a top-level function (a, b) => combined (or, for several inputs
   * passed as an array, (a1, a2, ..., b1, b2, ...) => [c1, c2, ...]). It must be associative.
   */
  reduce: ((input: Value | readonly Value[], axis: Axis, combineFn: (...args: any[]) => any, options?: { keepDims?: boolean }): any => stub('reduce')) as {
    (input: Value, axis: Axis, combineFn: (a: any, b: any) => Value, options?: { keepDims?: boolean }): Tile;
    (input: readonly Value[], axis: Axis, combineFn: (...args: any[]) => readonly Value[], options?: { keepDims?: boolean }): Tile[];
  },
  /**
   * Inclusive prefix sum along `axis` (default 0). Result dtypes as in Triton: bf16 gives f32, integers narrower
   * than 32 bits give i32/u32, others keep their dtype; f16 is added in f32 and each prefix rounded once.
   */
  cumsum: (input: Value, axis?: number | { axis?: number; reverse?: boolean; dtype?: DType | null }, reverse?: boolean): Tile => stub('cumsum'),
  /** Inclusive prefix product along `axis` (default 0): bf16 gives f32 (as in Triton); f16 multiplies in f32, rounding each prefix once. */
  cumprod: (input: Value, axis?: number | { axis?: number; reverse?: boolean; dtype?: DType | null }, reverse?: boolean): Tile => stub('cumprod'),
  /** Inclusive scan along `axis` with `combineFn`, a top-level associative function. */
  associativeScan: ((input: Value | readonly Value[], axis: number, combineFn: (...args: any[]) => any, options?: { reverse?: boolean }): any => stub('associativeScan')) as {
    (input: Value, axis: number, combineFn: (a: any, b: any) => Value, options?: { reverse?: boolean }): Tile;
    (input: readonly Value[], axis: number, combineFn: (...args: any[]) => readonly Value[], options?: { reverse?: boolean }): Tile[];
  },

  // ---- linear algebra ----
  /**
   * Matrix product of [M, K] and [K, N] tiles plus `acc` ([M, N]); of 3-D tiles, [B, M, K] and [B, K, N] plus [B, M, N],
   * a batch of B products (computed as B 2-D dots: correct on every tier, not yet tuned for speed on the GPU).
   * f16, bf16 and f32 inputs accumulate in f32.
   * inputPrecision: 'ieee' (kt's default: exact f32 products), 'tf32' (inputs' low 13 mantissa bits dropped, as the
   * tensor cores read them) or 'tf32x3' (three tf32 dots of the inputs' high and low parts: within a few f32 ulps).
   * outDtype: f16 inputs accumulate in f32 or, with outDtype f16, in f16; as in Triton, other inputs keep theirs
   * whatever outDtype says (i8 in i32, f32 and bf16 in f32, f64 in f64), and outDtype bf16 is refused.
   */
  dot: (input: Value, other: Value, acc?: Value | null, options?: { inputPrecision?: 'ieee' | 'tf32' | 'tf32x3'; outDtype?: DType; maxNumImpreciseAcc?: number }): Tile =>
    stub('dot'),

  // ---- atomics (each returns the old values) ----
  /** Atomically adds `val` to memory. */
  atomicAdd: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicAdd'),
  /** Atomically keeps the maximum of memory and `val`. */
  atomicMax: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicMax'),
  /** Atomically keeps the minimum of memory and `val`. */
  atomicMin: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicMin'),
  /** Atomically replaces memory with `val`. */
  atomicXchg: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicXchg'),
  /** Atomic bitwise and. */
  atomicAnd: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicAnd'),
  /** Atomic bitwise or. */
  atomicOr: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicOr'),
  /** Atomic bitwise exclusive or. */
  atomicXor: (pointer: Tile, val: Value, options?: AtomicOptions): Tile => stub('atomicXor'),
  /** Atomically replaces memory equal to `cmp` by `val`. */
  atomicCas: (pointer: Tile, cmp: Value, val: Value, options?: Omit<AtomicOptions, 'mask'>): Tile => stub('atomicCas'),

  // ---- random numbers (Philox 4x32, or 4x64 for 64-bit offsets: the same numbers as Triton's) ----
  /** Uniform f32s in [0, 1) for (seed, offsets); offsets of 32 or 64 bits (Philox 4x32 or 4x64), as in Triton. */
  rand: (seed: Value, offset: Value, nRounds?: number): Tile => stub('rand'),
  /** Standard normal f32s for (seed, offsets); offsets of 32 or 64 bits. */
  randn: (seed: Value, offset: Value, nRounds?: number): Tile => stub('randn'),
  /** Random integers for (seed, offsets), of the offsets' dtype: 32- or 64-bit (Philox 4x32 or 4x64). */
  randint: (seed: Value, offset: Value, nRounds?: number): Tile => stub('randint'),
  /** Four blocks of random integers of the offsets' dtype (32 or 64 bits). */
  randint4x: (seed: Value, offset: Value, nRounds?: number): [Tile, Tile, Tile, Tile] => stub('randint4x'),
  /**
   * Random 32- or 64-bit integers (from randint, or bits of your own) to f32s uniform in [0, 1), as tl.rand maps
   * them (Triton's uint_to_uniform_float).
   */
  randomUintToUniformFloat: (x: Value): Tile => stub('randomUintToUniformFloat'),
  /** Four blocks of uniform floats. */
  rand4x: (seed: Value, offset: Value, nRounds?: number): [Tile, Tile, Tile, Tile] => stub('rand4x'),
  /** Four blocks of standard normal floats. */
  randn4x: (seed: Value, offset: Value, nRounds?: number): [Tile, Tile, Tile, Tile] => stub('randn4x'),

  // ---- compiler hints ----
  /**
   * Promises the compiler that each value is a multiple of `values` (kept in the IR as tt.divisibility), for the
   * GPU's vector loads and stores; returns the value itself. Any integer or pointer value takes hints, arguments and
   * loop variables included: `start = tl.multipleOf(start, BLOCK)` in a counted loop keeps it counted.
   */
  multipleOf: (input: Value, values: number | readonly number[]): Tile => stub('multipleOf'),
  /** Promises runs of `values` contiguous values (tt.contiguity). */
  maxContiguous: (input: Value, values: number | readonly number[]): Tile => stub('maxContiguous'),
  /** Promises runs of `values` equal values (tt.constancy). */
  maxConstancy: (input: Value, values: number | readonly number[]): Tile => stub('maxConstancy'),

  // ---- loops ----
  /**
   * A loop range: for (const i of tl.range(start, end, step)), with Python's meaning: a negative step counts down
   * while i > end; a step of 0 is a compile error (a run-time step of 0 runs no iteration). Bounds may be
   * run-time values.
   */
  range: ((...args: (number | RangeOptions)[]): Iterable<number> => stub('range')) as {
    (end: number, options?: RangeOptions): Iterable<number>;
    (start: number, end: number, options?: RangeOptions): Iterable<number>;
    (start: number, end: number, step: number, options?: RangeOptions): Iterable<number>;
  },
  /** A loop with compile-time bounds that the compiler fully unrolls. */
  staticRange: ((...args: number[]): Iterable<number> => stub('staticRange')) as {
    (end: number): Iterable<number>;
    (start: number, end: number, step?: number): Iterable<number>;
  },

  // ---- debugging ----
  /** Fails compilation with `msg` unless the compile-time condition holds. */
  staticAssert: (cond: unknown, msg?: string): void => stub('staticAssert'),
  /** Prints compile-time values (and the types of run-time ones) while compiling. */
  staticPrint: (...values: unknown[]): void => stub('staticPrint'),
  /** Prints each element of the arguments with the program id, at run time. */
  devicePrint: (prefix: string, ...args: (Value | { hex?: boolean })[]): void => stub('devicePrint'),
  /** Stops the kernel with `msg` where the run-time condition is false. */
  deviceAssert: (cond: Mask, msg?: string): void => stub('deviceAssert'),
  /**
   * Every thread of the program waits here for the others (bar.sync on the GPU): each lane's memory accesses before
   * the barrier come before every lane's after it, which the sanitizer takes into account.
   */
  debugBarrier: (): void => stub('debugBarrier'),
  /**
   * Promises that `cond` holds (Triton's assume, a hint for the compiler). The interpreter checks the promise where
   * the call is and stops the launch with its line if it is broken; the GPU backend draws no conclusions from it
   * yet and emits nothing. A compile-time false condition is a compile error.
   */
  assume: (cond: Mask): void => stub('assume'),

  // ---- dtypes (Triton's names and kt's short ones) ----
  int1: dtypes.i1,
  int8: dtypes.i8,
  int16: dtypes.i16,
  int32: dtypes.i32,
  int64: dtypes.i64,
  uint8: dtypes.u8,
  uint16: dtypes.u16,
  uint32: dtypes.u32,
  uint64: dtypes.u64,
  /**
   * 8-bit float e4m3 (OCP E4M3FN, NVIDIA's .e4m3): 3 mantissa bits, bias 7, no infinities, largest finite 448,
   * smallest subnormal 2^-9, NaN 0x7f. Kernels load, store, select and convert fp8 (conversions to it round to
   * nearest even and saturate at ±448, NaN stays NaN; from it they are exact); arithmetic needs a wider type first,
   * as in Triton, and fp8 `dot` is not supported yet. On the GPU, conversions need sm_89 or later.
   */
  float8e4nv: dtypes.f8e4m3,
  /**
   * 8-bit float e5m2 (OCP E5M2, NVIDIA's .e5m2): 2 mantissa bits, bias 15, with infinities, largest finite 57344,
   * smallest subnormal 2^-16. Conversions to it round to nearest even and saturate at ±57344 (infinities too);
   * otherwise as float8e4nv.
   */
  float8e5: dtypes.f8e5m2,
  float16: dtypes.f16,
  bfloat16: dtypes.bf16,
  float32: dtypes.f32,
  float64: dtypes.f64,
  i1: dtypes.i1,
  i8: dtypes.i8,
  i16: dtypes.i16,
  i32: dtypes.i32,
  i64: dtypes.i64,
  u8: dtypes.u8,
  u16: dtypes.u16,
  u32: dtypes.u32,
  u64: dtypes.u64,
  /** 8-bit float e4m3 (tl.float8e4nv): largest finite 448, no infinities; load, store and convert only. */
  f8e4m3: dtypes.f8e4m3,
  /** 8-bit float e5m2 (tl.float8e5): largest finite 57344, with infinities; load, store and convert only. */
  f8e5m2: dtypes.f8e5m2,
  f16: dtypes.f16,
  bf16: dtypes.bf16,
  f32: dtypes.f32,
  f64: dtypes.f64,
} as const;

export type { DType, DTypeLike };
