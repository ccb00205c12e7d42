// An executable model of the tensor-core PTX instructions kt is about to emit, written from the PTX ISA so that the
// lowering of `dot` can be checked on the CPU (like test/support/simt.ts does for everything else), and so that a
// GPU probe (bench/tc-probe) can settle whatever the documents leave open.
//
// What is modelled, per warp (32 lanes) or per warpgroup (128 threads), as pure functions over plain arrays:
//  - mma.sync.aligned.{m16n8k16 f16/bf16, m16n8k8 tf32, m16n8k32 s8/u8/e4m3/e5m2}.row.col: which register of which
//    lane holds which matrix element, and D = A*B + C;
//  - ldmatrix / stmatrix .m8n8.x1/x2/x4{.trans}.b16 between shared memory and registers;
//  - cp.async (.ca 4/8/16, .cg 16) with commit_group / wait_group as a per-thread state machine;
//  - wgmma (sm_90a): the 64-bit shared-memory matrix descriptor, the canonical K-major / MN-major layouts under the
//    four swizzle modes, wgmma.mma_async for f16/bf16 (k16), tf32 (k8), s8/u8 and e4m3/e5m2 (k32) with A from shared
//    memory or registers, and fence / commit_group / wait_group as a state machine;
//  - exact encoders/decoders for f16, bf16, tf32, e4m3 (the "fn" variant: no infinity) and e5m2, with .satfinite.
//
// Conventions (the same everywhere in this file):
//  - A register is a JavaScript number. Registers holding narrow elements (f16, bf16: two per register; e4m3, e5m2,
//    s8, u8: four) hold the unsigned 32-bit pattern, element 0 in the lowest bits ("Elements (low to high)" in the
//    ISA's fragment tables). Registers holding one 32-bit element hold its value: f32 and tf32 registers the float
//    value (a JavaScript number that is an f32), s32 registers the signed integer.
//  - A fragment is `regs[thread][register]`, thread = %laneid for mma (32 threads), the thread's index in its
//    warpgroup for wgmma (128 threads; warp w = thread >> 5 owns rows 16w..16w+15 of A and D).
//  - Logical matrices are `m[row][col]` of decoded values: A is M x K, B is K x N, C and D are M x N.
//  - Shared memory is a little-endian byte array indexed by shared-window address (as in simt.ts).
//
// Sources. The PTX ISA, version 9.2 (docs.nvidia.com/cuda/parallel-thread-execution, read through the ptx.poole.ai
// mirror of it): 9.7.14.5 "Matrix Fragments for mma.m16n8k8 / m16n8k16 / m16n8k32" (the groupID / threadID_in_group
// formulas), 9.7.15.5.1 "Register Fragments and Shared Memory Matrix Layouts" (figures only for wgmma, no formulas),
// 9.7.15.5.1.2 "Shared Memory Matrix Layout" (the swizzle-atom table), 9.7.15.5.1.2.2 "Matrix Descriptor Format",
// 9.7.15.4 "Async Proxy" and 9.7.15.7.1 wgmma.fence, and 9.7.16.3 (tcgen05) for the wording of the LBO definitions.
// The instruction texts of mma, ldmatrix, stmatrix, cp.async, cvt and wgmma.mma_async as of PTX ISA 9.0. The tf32
// truncation sentence of wgmma.mma_async ("will truncate lower 13 bits of the 32-bit input data before
// multiplication is issued") as quoted in triton-lang/triton#8873. cp.async.wait_group's rule is the ISA's as commonly
// stated (and as LLVM's D154046 reads it): wait until at most N of the most recent groups are pending.
// Cross-checks, read and re-derived (no code taken): CUTLASS cute/atom/mma_traits_sm80.hpp (SM80_16x8x*_TN thread-value
// layouts), cute/atom/mma_traits_sm90_gmma.hpp (CLayout_64xN, ALayout_64x8/16/32, and the canonical layouts in the
// make_gmma_desc comment), cute/atom/copy_traits_sm75.hpp (LDSM_N / LDSM_T layouts). Shape and type combinations
// were checked against ptxas 13.0 (--gpu-name sm_90a).
//
// Arithmetic: the ISA leaves accumulation order, intermediate rounding and subnormal handling unspecified. The model
// forms the real-number sum of C and the exact products (in doubles) and rounds once to the destination type, which
// is what any implementation returns when that sum is exactly representable: tests and the probe use such data.
// Beware on general data: Hopper's fp8 (and reportedly other) tensor-core paths accumulate with fewer than 24
// significant bits (about 14 are reported for fp8 wgmma), so real results can differ from this model's in the low bits.
import { bf16FromBits, bf16ToBits, e4m3FromBits, e5m2FromBits, f16FromBits, f16ToBits, roundF16, e4m3ToBits as ktE4m3ToBits, e5m2ToBits as ktE5m2ToBits } from '../../src/numerics.ts';

export const WARP_SIZE = 32;
export const WARPGROUP_SIZE = 128;

// ---------------------------------------------------------------------------------------------------------------
// Bits

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** The bit pattern of the f32 nearest to x. */
export function f32ToBits(x: number): number {
  f32Scratch[0] = x;
  return u32Scratch[0]!;
}

/** The f32 value of a 32-bit pattern. */
export function f32FromBits(bits: number): number {
  u32Scratch[0] = bits >>> 0;
  return f32Scratch[0]!;
}

/** Element `index` (width `bits`) of a 32-bit register, element 0 in the low bits. */
export function registerElement(reg: number, index: number, bits: number): number {
  if (bits === 32) return reg >>> 0;
  return (reg >>> (index * bits)) & ((1 << bits) - 1);
}

/** Packs narrow elements into a 32-bit register, element 0 in the low bits. */
export function packRegister(elements: readonly number[], bits: number): number {
  let r = 0;
  elements.forEach((e, i) => {
    r |= (e & ((1 << bits) - 1)) << (i * bits);
  });
  return r >>> 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Narrow float formats

/** The floating-point element formats of the tensor-core instructions. */
export type FloatFormat = 'f16' | 'bf16' | 'tf32' | 'e4m3' | 'e5m2';

export interface EncodeOptions {
  /**
   * PTX's .satfinite: NaN stays NaN, anything of larger magnitude than the largest finite value (infinity included)
   * becomes that value with its sign. Without it, overflow gives infinity, or NaN for e4m3, which has no infinity.
   */
  satfinite?: boolean;
}

// e4m3 is the OCP "E4M3FN" format (what PTX calls .e4m3): bias 7, no infinities, S.1111.111 is the only NaN, so the
// largest finite value is S.1111.110 = 1.75 * 2^8 = 448. e5m2 is IEEE-like: bias 15, S.11111.00 = infinity,
// S.11111.{01,10,11} NaN, largest finite 1.75 * 2^15 = 57344. The encoders and decoders are kt's own
// (src/numerics.ts, which the interpreter and the GPU backend use): NaN gives the positive pattern 0x7f whatever its
// sign (the probe checks what the hardware gives); without .satfinite, overflow gives infinity (e5m2) or NaN (e4m3).
export { E4M3_MAX, E5M2_MAX, e4m3FromBits, e5m2FromBits } from '../../src/numerics.ts';
export const e4m3ToBits = (x: number, options: EncodeOptions = {}): number => ktE4m3ToBits(x, options.satfinite ?? false);
export const e5m2ToBits = (x: number, options: EncodeOptions = {}): number => ktE5m2ToBits(x, options.satfinite ?? false);

/**
 * What the tensor cores do to an f32 register given as a .tf32 operand: the low 13 bits are dropped (truncation
 * toward zero). The ISA says so for wgmma ("will truncate lower 13 bits of the 32-bit input data"); for mma.sync it
 * only says the operand is .tf32, and the model assumes the same datapath (the probe's tf32 cases settle it).
 */
export function tf32Truncate(x: number): number {
  return f32FromBits(f32ToBits(x) & ~0x1fff);
}

const TF32_MAX_BITS = 0x7f7fe000;

/** The f32 pattern holding the tf32 nearest to x, ties to even (cvt.rn.tf32.f32; ties away is roundTf32 in numerics). */
export function tf32ToBits(x: number, options: EncodeOptions = {}): number {
  const bits = f32ToBits(x); // x is meant to be an f32 already
  if (Number.isNaN(x)) return 0x7fffffff;
  const sign = bits & 0x80000000;
  if (!Number.isFinite(x)) return options.satfinite ? (sign | TF32_MAX_BITS) >>> 0 : bits;
  const rounded = ((bits + 0xfff + ((bits >>> 13) & 1)) & ~0x1fff) >>> 0; // a carry may reach the exponent: fine
  if ((rounded & 0x7f800000) === 0x7f800000 && options.satfinite) return (sign | TF32_MAX_BITS) >>> 0;
  return rounded;
}

const F16_MAX_BITS = 0x7bff;
const BF16_MAX_BITS = 0x7f7f;

function saturate16(bits: number, x: number, maxBits: number, satfinite: boolean): number {
  if (!satfinite) return bits;
  if (Number.isNaN(x)) return 0x7fff;
  if ((bits & 0x7fff) > maxBits) return (bits & 0x8000) | maxBits; // infinity after rounding (or an infinite input)
  return bits;
}

/** x to the bit pattern of the nearest value of a format, ties to even (cvt.rn{.satfinite}); tf32 gives f32 bits. */
export function encodeFloat(format: FloatFormat, x: number, options: EncodeOptions = {}): number {
  const sat = options.satfinite ?? false;
  switch (format) {
    case 'f16':
      return saturate16(f16ToBits(x), x, F16_MAX_BITS, sat);
    case 'bf16':
      return saturate16(bf16ToBits(x), x, BF16_MAX_BITS, sat);
    case 'tf32':
      return tf32ToBits(x, options);
    case 'e4m3':
      return ktE4m3ToBits(x, sat);
    case 'e5m2':
      return ktE5m2ToBits(x, sat);
  }
}

/** The value of a bit pattern of a format (tf32: the f32 pattern, low 13 bits ignored as the tensor cores do). */
export function decodeFloat(format: FloatFormat, bits: number): number {
  switch (format) {
    case 'f16':
      return f16FromBits(bits);
    case 'bf16':
      return bf16FromBits(bits);
    case 'tf32':
      return f32FromBits(bits & ~0x1fff);
    case 'e4m3':
      return e4m3FromBits(bits);
    case 'e5m2':
      return e5m2FromBits(bits);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Element types and registers

/** Multiplicand element types. */
export type InputType = 'f16' | 'bf16' | 'tf32' | 'e4m3' | 'e5m2' | 's8' | 'u8';
/** Accumulator element types. */
export type AccType = 'f32' | 'f16' | 's32';
/** Anything a fragment can hold. */
export type ElementType = InputType | AccType;

/** Bits per element of a type (as held in registers). */
export function elementBits(t: ElementType): 8 | 16 | 32 {
  switch (t) {
    case 'f16':
    case 'bf16':
      return 16;
    case 'e4m3':
    case 'e5m2':
    case 's8':
    case 'u8':
      return 8;
    case 'tf32':
    case 'f32':
    case 's32':
      return 32;
  }
}

/** A value to the bits of a narrow element (round to nearest even; integers wrap). */
export function encodeElement(t: ElementType, value: number): number {
  switch (t) {
    case 's8':
    case 'u8':
      return value & 0xff;
    case 'f16':
    case 'bf16':
    case 'e4m3':
    case 'e5m2':
      return encodeFloat(t, value);
    default:
      throw new Error(`encodeElement: ${t} is held whole in a register`);
  }
}

/** The value of the bits of a narrow element. */
export function decodeElement(t: ElementType, bits: number): number {
  switch (t) {
    case 's8':
      return (bits << 24) >> 24;
    case 'u8':
      return bits & 0xff;
    case 'f16':
    case 'bf16':
    case 'e4m3':
    case 'e5m2':
      return decodeFloat(t, bits);
    default:
      throw new Error(`decodeElement: ${t} is held whole in a register`);
  }
}

/** The register value holding a 32-bit element (f32 and tf32: the f32 value; s32: the int32). */
function wholeRegister(t: ElementType, value: number): number {
  return t === 's32' ? value | 0 : Math.fround(value);
}

// ---------------------------------------------------------------------------------------------------------------
// Fragment layouts

/** Where each element of a per-thread fragment sits in the logical matrix. */
export interface FragmentLayout {
  readonly threads: number;
  readonly rows: number;
  readonly cols: number;
  /** 32-bit registers per thread. */
  readonly regs: number;
  /** Elements per register: 1, 2 or 4. */
  readonly perReg: number;
  /** (row, col) of element `i` of thread `thread`; element i is in register i / perReg, at position i % perReg. */
  coord(thread: number, i: number): [number, number];
}

/**
 * The A fragment of one warp (m16 x k(4 * perReg)): register r, element j of lane l holds
 *   row = l/4 + 8 * (r % 2),   col = perReg * (l % 4) + j + 4 * perReg * (r / 2).
 * This one formula is the ISA's per-type formulas: f16/bf16 (k16, "row = groupID for ai where 0 <= i < 2 || 4 <= i < 6,
 * groupID + 8 otherwise; col = threadID_in_group * 2 + (i & 1) (+ 8 for i >= 4)"), tf32 (k8, "row = groupID for a0
 * and a2; col = threadID_in_group (+ 4 for a2, a3)") and 8-bit (k32, "col = threadID_in_group * 4 + (i & 3)
 * (+ 16 for i >= 8)"). The wgmma register A fragment is the same per warp, rows offset by 16 * warp.
 */
function aCoord(perReg: number, thread: number, i: number): [number, number] {
  const lane = thread & 31;
  const r = Math.floor(i / perReg);
  const j = i % perReg;
  const row = 16 * (thread >> 5) + (lane >> 2) + 8 * (r & 1);
  return [row, perReg * (lane & 3) + j + 4 * perReg * (r >> 1)];
}

/** The k of a K x 8 B fragment: register r, element j of lane l holds k = perReg * (l % 4) + j + 4 * perReg * r, n = l / 4. */
function bCoord(perReg: number, lane: number, i: number): [number, number] {
  const r = Math.floor(i / perReg);
  const j = i % perReg;
  return [perReg * (lane & 3) + j + 4 * perReg * r, lane >> 2];
}

/**
 * The accumulator fragment, element i of thread t (f32/s32: register i; f16: register i/2, half i%2):
 *   row = 16 * warp + l/4 + 8 * ((i / 2) % 2),   col = 8 * (i / 4) + 2 * (l % 4) + i % 2.
 * For mma (N = 8, one warp) this is the ISA's "row = groupID for ci where i < 2, groupID + 8 otherwise;
 * col = threadID_in_group * 2 + (i & 1)"; for wgmma it repeats every 8 columns (CUTLASS CLayout_64xN).
 */
function accCoord(thread: number, i: number): [number, number] {
  const lane = thread & 31;
  return [16 * (thread >> 5) + (lane >> 2) + 8 * ((i >> 1) & 1), 8 * (i >> 2) + 2 * (lane & 3) + (i & 1)];
}

/** The k extent of one instruction for an input type: 32 bytes of K. */
export const kOf = (t: InputType): number => 256 / elementBits(t);

/** The mma.sync shape for an input type: m16n8k16 (16-bit), m16n8k8 (tf32), m16n8k32 (8-bit). */
export function mmaShape(t: InputType): { m: 16; n: 8; k: number } {
  return { m: 16, n: 8, k: kOf(t) };
}

/** mma.sync A fragment (16 x K, 4 registers per lane). */
export function mmaALayout(t: InputType): FragmentLayout {
  const perReg = 32 / elementBits(t);
  return { threads: 32, rows: 16, cols: kOf(t), regs: 4, perReg, coord: (l, i) => aCoord(perReg, l, i) };
}

/** mma.sync B fragment (K x 8, 2 registers per lane). */
export function mmaBLayout(t: InputType): FragmentLayout {
  const perReg = 32 / elementBits(t);
  return { threads: 32, rows: kOf(t), cols: 8, regs: 2, perReg, coord: (l, i) => bCoord(perReg, l, i) };
}

/** mma.sync C/D fragment (16 x 8): four f32/s32 registers, or two f16x2 registers. */
export function mmaCLayout(t: AccType): FragmentLayout {
  const perReg = t === 'f16' ? 2 : 1;
  return { threads: 32, rows: 16, cols: 8, regs: 4 / perReg, perReg, coord: accCoord };
}

/** wgmma A fragment in registers (64 x K over 128 threads, 4 registers each); 16-bit, tf32 and 8-bit types. */
export function wgmmaALayout(t: InputType): FragmentLayout {
  const perReg = 32 / elementBits(t);
  return { threads: 128, rows: 64, cols: kOf(t), regs: 4, perReg, coord: (th, i) => aCoord(perReg, th, i) };
}

/** wgmma D fragment (64 x N over 128 threads): N/2 f32/s32 registers, or N/4 f16x2 registers. */
export function wgmmaDLayout(n: number, t: AccType): FragmentLayout {
  const perReg = t === 'f16' ? 2 : 1;
  return { threads: 128, rows: 64, cols: n, regs: n / 2 / perReg, perReg, coord: accCoord };
}

/** Fills a fragment from a logical matrix of values (narrow values are rounded to their type). */
export function packFragment(layout: FragmentLayout, t: ElementType, matrix: readonly (readonly number[])[]): number[][] {
  const bits = elementBits(t);
  return Array.from({ length: layout.threads }, (_, thread) =>
    Array.from({ length: layout.regs }, (_, r) => {
      const values = Array.from({ length: layout.perReg }, (_, j) => {
        const [row, col] = layout.coord(thread, r * layout.perReg + j);
        return matrix[row]![col]!;
      });
      return bits === 32 ? wholeRegister(t, values[0]!) : packRegister(values.map((v) => encodeElement(t, v)), bits);
    }),
  );
}

/** The logical matrix of values held by a fragment (tf32 registers give their f32 value, not yet truncated). */
export function unpackFragment(layout: FragmentLayout, t: ElementType, regs: readonly (readonly number[])[]): number[][] {
  const bits = elementBits(t);
  const m = Array.from({ length: layout.rows }, () => new Array<number>(layout.cols).fill(NaN));
  for (let thread = 0; thread < layout.threads; thread++) {
    for (let i = 0; i < layout.regs * layout.perReg; i++) {
      const [row, col] = layout.coord(thread, i);
      const reg = regs[thread]![Math.floor(i / layout.perReg)]!;
      m[row]![col] = bits === 32 ? wholeRegister(t, reg) : decodeElement(t, registerElement(reg, i % layout.perReg, bits));
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// The arithmetic shared by mma and wgmma

/** A multiplicand value as the tensor core sees it (tf32: low 13 bits dropped). */
const asMultiplicand = (t: InputType, v: number): number => (t === 'tf32' ? tf32Truncate(v) : v);

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Rounds an exact accumulator value to the destination type (s32: wrap, or clamp with .satfinite). */
function toAccumulator(t: AccType, v: number, satfinite: boolean): number {
  switch (t) {
    case 'f32':
      return Math.fround(v);
    case 'f16':
      return roundF16(v);
    case 's32':
      return satfinite ? Math.min(INT32_MAX, Math.max(INT32_MIN, v)) : v | 0; // |v| < 2^53 here
  }
}

/** D[m][n] = C[m][n] + sum_k A[m][k] * B[k][n], formed exactly then rounded once (see the header). */
function multiplyAccumulate(a: number[][], b: number[][], c: number[][], dType: AccType, satfinite: boolean): number[][] {
  return c.map((row, m) =>
    row.map((cv, n) => {
      let s = cv;
      for (let k = 0; k < b.length; k++) s += a[m]![k]! * b[k]![n]!;
      return toAccumulator(dType, s, satfinite);
    }),
  );
}

const FP8 = new Set<InputType>(['e4m3', 'e5m2']);
const INT8 = new Set<InputType>(['s8', 'u8']);

/** The input types that may be combined in one instruction: equal, or both fp8, or both 8-bit integers. */
function checkInputPair(a: InputType, b: InputType): void {
  if (a === b || (FP8.has(a) && FP8.has(b)) || (INT8.has(a) && INT8.has(b))) return;
  throw new Error(`A is ${a} but B is ${b}`);
}

// ---------------------------------------------------------------------------------------------------------------
// mma.sync

export interface MmaSpec {
  aType: InputType;
  bType: InputType;
  cType: AccType;
  dType: AccType;
  /** Integer types only: clamp to the s32 range instead of wrapping. */
  satfinite?: boolean;
}

/**
 * The accumulator types ptxas 13.0 accepts for mma.sync.aligned.<shape>.row.col on sm_90a:
 * f16 -> (d, c) = (f16, f16) or (f32, f32) (mixed pairs are rejected for m16n8k16); bf16, tf32 -> f32;
 * e4m3/e5m2 (sm_89+) -> f32 or f16 (PTX 8.7+); s8/u8 -> s32.
 */
function checkMmaSpec(s: MmaSpec): void {
  checkInputPair(s.aType, s.bType);
  const ok =
    s.aType === 'f16'
      ? s.cType === s.dType && s.cType !== 's32'
      : FP8.has(s.aType)
        ? s.cType === s.dType && s.cType !== 's32'
        : INT8.has(s.aType)
          ? s.cType === 's32' && s.dType === 's32'
          : s.cType === 'f32' && s.dType === 'f32';
  if (!ok) throw new Error(`mma.sync: no ${s.dType}.${s.aType}.${s.bType}.${s.cType} variant`);
  if (s.satfinite && !INT8.has(s.aType)) throw new Error('mma.sync: .satfinite is for integer types');
}

/**
 * mma.sync.aligned.m16n8k{8,16,32}.row.col.dtype.atype.btype.ctype d, a, b, c for one warp: a, b, c are the 32 lanes'
 * registers (4, 2 and 4 (f16: 2) per lane); returns the lanes' d registers.
 */
export function mmaSync(spec: MmaSpec, a: readonly (readonly number[])[], b: readonly (readonly number[])[], c: readonly (readonly number[])[]): number[][] {
  checkMmaSpec(spec);
  const am = unpackFragment(mmaALayout(spec.aType), spec.aType, a).map((r) => r.map((v) => asMultiplicand(spec.aType, v)));
  const bm = unpackFragment(mmaBLayout(spec.bType), spec.bType, b).map((r) => r.map((v) => asMultiplicand(spec.bType, v)));
  const cm = unpackFragment(mmaCLayout(spec.cType), spec.cType, c);
  return packFragment(mmaCLayout(spec.dType), spec.dType, multiplyAccumulate(am, bm, cm, spec.dType, spec.satfinite ?? false));
}

// ---------------------------------------------------------------------------------------------------------------
// ldmatrix / stmatrix (.m8n8, .b16)

/**
 * The lanes that give row addresses: matrix q's row r comes from lane 8q + r; for .x1 only lanes 0-7 are read,
 * for .x2 lanes 0-15 (the others' addresses are ignored; sm_75 and earlier wanted them valid anyway).
 */
function rowAddress(shared: Uint8Array, addrs: readonly number[], q: number, r: number): number {
  const a = addrs[8 * q + r]!;
  if (a % 16 !== 0) throw new Error(`ldmatrix/stmatrix: row address ${a} (lane ${8 * q + r}) is not 16-byte aligned`);
  if (a < 0 || a + 16 > shared.length) throw new Error(`ldmatrix/stmatrix: row address ${a} is outside shared memory`);
  return a;
}

/**
 * Element (row, col) of 8x8 matrix q held in lane l's register q, half h (0 = low): without .trans lane l holds
 * row l/4, cols 2*(l%4) + h ("a group of four threads loads an entire row"); with .trans the matrix is read in
 * column-major order, so lane l holds row 2*(l%4) + h of column l/4 (CUTLASS SM75_U16x8_LDSM_T).
 */
function ldsmElement(lane: number, h: number, trans: boolean): [number, number] {
  return trans ? [2 * (lane & 3) + h, lane >> 2] : [lane >> 2, 2 * (lane & 3) + h];
}

/** ldmatrix.sync.aligned.m8n8.x{num}{.trans}.shared.b16: each lane's `num` registers (addrs: each lane's address). */
export function ldmatrix(shared: Uint8Array, addrs: readonly number[], num: 1 | 2 | 4, trans = false): number[][] {
  const view = new DataView(shared.buffer, shared.byteOffset, shared.byteLength);
  return Array.from({ length: 32 }, (_, lane) =>
    Array.from({ length: num }, (_, q) => {
      const halves = [0, 1].map((h) => {
        const [row, col] = ldsmElement(lane, h, trans);
        return view.getUint16(rowAddress(shared, addrs, q, row) + 2 * col, true);
      });
      return packRegister(halves, 16);
    }),
  );
}

/** stmatrix.sync.aligned.m8n8.x{num}{.trans}.shared.b16 (sm_90): the inverse of ldmatrix; writes into `shared`. */
export function stmatrix(shared: Uint8Array, addrs: readonly number[], regs: readonly (readonly number[])[], num: 1 | 2 | 4, trans = false): void {
  const view = new DataView(shared.buffer, shared.byteOffset, shared.byteLength);
  for (let lane = 0; lane < 32; lane++) {
    for (let q = 0; q < num; q++) {
      for (const h of [0, 1]) {
        const [row, col] = ldsmElement(lane, h, trans);
        view.setUint16(rowAddress(shared, addrs, q, row) + 2 * col, registerElement(regs[lane]![q]!, h, 16), true);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// cp.async (one thread's view)

export interface CpAsyncCopy {
  readonly id: number;
  readonly cache: 'ca' | 'cg';
  readonly dst: number;
  readonly src: number;
  readonly cpSize: 4 | 8 | 16;
  /** Bytes read from src; the rest of the cp-size bytes are zero-filled (src-size, or 0 for ignore-src). */
  readonly srcSize: number;
  /** What lands in shared memory, read from global memory when the copy was issued. */
  readonly data: Uint8Array;
}

/**
 * One thread's cp.async state: copies issued since the last commit_group, the committed groups (oldest first) whose
 * completion is not yet guaranteed, and which copies are guaranteed complete. The rules (PTX ISA cp.async,
 * cp.async.commit_group, cp.async.wait_group):
 *  - commit_group bundles every copy this thread issued since its previous commit_group into a new group (possibly
 *    empty);
 *  - wait_group N returns once at most the N most recent groups are pending: every older group is complete, its data
 *    in shared memory and visible to this thread (other threads still need a barrier). Copies not yet committed are
 *    not covered. wait_all = commit_group; wait_group 0;
 *  - nothing else guarantees completion, and nothing orders copies among themselves.
 * Completion in the model is exactly the guarantee: data is written into `shared` when wait_group guarantees it,
 * never earlier, so reading a byte still in flight (inFlight) is the race a simulator should flag. The source is
 * read at issue time; writing it before completion is also a race the model does not see.
 */
/**
 * Operations in commit groups, as cp.async and wgmma keep them: operations join the open group, commit_group
 * closes it (an empty group counts too), and wait_group n retires every committed group but the n most recent.
 */
export class CommitGroups<T> {
  private open: T[] = [];
  private readonly committed: T[][] = [];

  add(x: T): void {
    this.open.push(x);
  }

  commit(): void {
    this.committed.push(this.open);
    this.open = [];
  }

  /** The operations retired by wait_group `pending`, oldest first. */
  wait(pending: number): T[] {
    const done: T[] = [];
    while (this.committed.length > pending) done.push(...this.committed.shift()!);
    return done;
  }

  /** Operations not yet retired: in committed groups, then in the open one. */
  inFlight(): T[] {
    return [...this.committed.flat(), ...this.open];
  }
}

export class CpAsyncThread {
  private nextId = 0;
  private readonly groups = new CommitGroups<CpAsyncCopy>();
  private readonly complete = new Set<number>();

  constructor(
    private readonly shared: Uint8Array,
    private readonly global: Uint8Array,
  ) {}

  /**
   * cp.async.{ca,cg}.shared.global [dst], [src], cp-size{, src-size | ignore-src}: .cg only with cp-size 16; both
   * addresses aligned to cp-size; src-size <= cp-size. Returns the copy's id.
   */
  copy(cache: 'ca' | 'cg', dst: number, src: number, cpSize: 4 | 8 | 16, srcSize: number | { ignoreSrc: boolean } = cpSize): number {
    if (cache === 'cg' && cpSize !== 16) throw new Error('cp.async.cg copies 16 bytes');
    if (dst % cpSize || src % cpSize) throw new Error(`cp.async: addresses must be aligned to ${cpSize} bytes`);
    const n = typeof srcSize === 'number' ? srcSize : srcSize.ignoreSrc ? 0 : cpSize;
    if (n < 0 || n > cpSize) throw new Error(`cp.async: src-size ${n} > cp-size ${cpSize} is undefined`);
    if (dst + cpSize > this.shared.length || src + n > this.global.length) throw new Error('cp.async: out of bounds');
    const data = new Uint8Array(cpSize);
    data.set(this.global.subarray(src, src + n));
    const c: CpAsyncCopy = { id: this.nextId++, cache, dst, src, cpSize, srcSize: n, data };
    this.groups.add(c);
    return c.id;
  }

  /** cp.async.commit_group. */
  commitGroup(): void {
    this.groups.commit();
  }

  /** cp.async.wait_group n: completes every committed group but the n most recent; returns the ids completed now. */
  waitGroup(n: number): number[] {
    return this.groups.wait(n).map((c) => {
      this.shared.set(c.data, c.dst);
      this.complete.add(c.id);
      return c.id;
    });
  }

  /** cp.async.wait_all: commit_group then wait_group 0. */
  waitAll(): number[] {
    this.commitGroup();
    return this.waitGroup(0);
  }

  isComplete(id: number): boolean {
    return this.complete.has(id);
  }

  /** Copies issued but not guaranteed complete (uncommitted or in a pending group). */
  pending(): CpAsyncCopy[] {
    return this.groups.inFlight();
  }

  /** Whether a shared-memory byte is the destination of a copy not yet guaranteed complete. */
  inFlight(addr: number): boolean {
    return this.pending().some((c) => addr >= c.dst && addr < c.dst + c.cpSize);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// wgmma: matrix descriptors and shared-memory layouts

export type Swizzle = 'none' | '128B' | '64B' | '32B';
/** K-major: K is the contiguous dimension (A row-major M x K, B as N x K); MN-major: M (or N) is. */
export type Major = 'K' | 'MN';

export interface MatrixDescriptor {
  /** Shared-window byte address of the matrix (16-byte aligned, < 2^18). */
  startAddress: number;
  /** Leading dimension byte offset (see canonicalAddress for what it means per layout). */
  lbo: number;
  /** Stride dimension byte offset. */
  sbo: number;
  /** Matrix base offset, bits 49-51: 0 when the swizzle pattern starts on its repeat boundary. */
  baseOffset: number;
  swizzle: Swizzle;
}

// PTX ISA 9.2, 9.7.15.5.1.2.2 "Matrix Descriptor Format" (unchanged for wgmma since PTX 8.0; tcgen05 has its own,
// different descriptor): bits 0-13 encode(start address), 16-29 encode(leading dimension byte offset), 32-45
// encode(stride dimension byte offset), 49-51 base offset, 62-63 swizzle mode: 0 none, 1 128B, 2 64B, 3 32B;
// encode(x) = (x & 0x3FFFF) >> 4. Other bits are unused (zero here).
const SWIZZLE_CODE: Record<Swizzle, bigint> = { none: 0n, '128B': 1n, '64B': 2n, '32B': 3n };
const SWIZZLE_OF: readonly Swizzle[] = ['none', '128B', '64B', '32B'];

const descriptorEncode = (what: string, x: number): bigint => {
  if (x % 16 !== 0 || x < 0 || x >= 1 << 18) throw new Error(`matrix descriptor: ${what} ${x} must be a multiple of 16 below 2^18`);
  return BigInt((x & 0x3ffff) >> 4);
};

/** The 64-bit descriptor (as a bigint). */
export function encodeDescriptor(d: MatrixDescriptor): bigint {
  if (!(d.baseOffset >= 0 && d.baseOffset < 8)) throw new Error(`matrix descriptor: base offset ${d.baseOffset} is 3 bits`);
  return (
    descriptorEncode('start address', d.startAddress) |
    (descriptorEncode('leading byte offset', d.lbo) << 16n) |
    (descriptorEncode('stride byte offset', d.sbo) << 32n) |
    (BigInt(d.baseOffset) << 49n) |
    (SWIZZLE_CODE[d.swizzle] << 62n)
  );
}

/** The fields of a 64-bit descriptor, offsets in bytes. */
export function decodeDescriptor(bits: bigint): MatrixDescriptor {
  const field = (lo: bigint, width: bigint): number => Number((bits >> lo) & ((1n << width) - 1n));
  return {
    startAddress: field(0n, 14n) << 4,
    lbo: field(16n, 14n) << 4,
    sbo: field(32n, 14n) << 4,
    baseOffset: field(49n, 3n),
    swizzle: SWIZZLE_OF[field(62n, 2n)]!,
  };
}

/** Swizzle width in bytes (16 for none: a core matrix row). */
export const swizzleBytes = (s: Swizzle): number => ({ none: 16, '32B': 32, '64B': 64, '128B': 128 })[s];

/**
 * The swizzle of a byte address: the 16-byte chunk index (address bits 4-6, 4-5 or 4 for 128B, 64B, 32B) is XORed
 * with the 128-byte row index (bits 7-9, 7-8 or 7), i.e. CUTLASS's Swizzle<3,4,3>, <2,4,3>, <1,4,3> on byte
 * addresses. It applies to the absolute shared address, so the pattern repeats every 1024, 512 and 256 bytes (the ISA's
 * "starting address of the repeating pattern" table) and moving a descriptor's start address within a row (to step
 * K) keeps the pattern. With a base offset b, the model takes the row index relative to the pattern start,
 * ((addr >> 7) - b) & mask: the ISA only says b = (pattern start address >> 7) & 7, so this reading is an assumption
 * for the probe to settle.
 */
export function swizzleAddress(addr: number, swizzle: Swizzle, baseOffset = 0): number {
  if (swizzle === 'none') return addr;
  const mask = swizzleBytes(swizzle) / 16 - 1;
  return addr ^ ((((addr >> 7) - baseOffset) & mask) << 4);
}

/**
 * The shared address of element (mn, k) of a wgmma operand (mn < M or N, k < K of one instruction = 32 bytes) described
 * by `desc`, for elements of `elemBytes` bytes. The canonical layouts, in bytes (T = 16-byte chunk, W = swizzle width):
 *  K-major, no swizzle: 8 x 16-byte core matrices, rows 16 bytes apart; SBO = distance between core matrices along
 *    MN (8-row groups), LBO = distance between the two core matrices along K:
 *      start + (mn % 8) * 16 + (mn / 8) * SBO + (kb / 16) * LBO + kb % 16            (kb = k * elemBytes)
 *  K-major, swizzled: rows of W bytes, 8 rows make a W x 8 atom; SBO = distance between 8-row groups; LBO unused
 *    ("assumed 1"): the 32 bytes of K always sit inside one row:
 *      swizzle(start + (mn % 8) * W + (mn / 8) * SBO + kb)
 *  MN-major, no swizzle: core matrices of 8 K-rows x 16 bytes of MN; SBO = distance between core matrices along MN,
 *    LBO = along K (8-row groups of K):
 *      start + (mb / 16) * SBO + (k % 8) * 16 + (k / 8) * LBO + mb % 16               (mb = mn * elemBytes)
 *  MN-major, swizzled: atoms of 8 K-rows x W bytes of MN; LBO = distance between atoms along MN, SBO = between
 *    8-row groups of K:
 *      swizzle(start + (mb / W) * LBO + (k % 8) * W + (k / 8) * SBO + mb % W)
 * Sources: the ISA's swizzle-atom table (128B: 8x8 chunks for both majors, 64B: K 8x4 / MN 4x8, 32B: K 8x2 / MN 2x8,
 * none: K 8x1 / MN 1x8), the leading-dimension-offset table of the tcgen05 section (same canonical layouts: "K-major
 * swizzled: not used"; "MN-major interleave: stride from the first 8 columns to the next 8 columns; swizzled: stride
 * from the first (swizzle-byte-size/16) rows to the next"), and CUTLASS make_gmma_desc's canonical forms, whose
 * INTERLEAVE MN-major case swaps LBO and SBO relative to the swizzled ones exactly as above.
 */
export function canonicalAddress(desc: MatrixDescriptor, major: Major, elemBytes: number, mn: number, k: number): number {
  const w = swizzleBytes(desc.swizzle);
  let a: number;
  if (major === 'K') {
    const kb = k * elemBytes;
    if (kb >= 32) throw new Error(`wgmma operand: k = ${k} is beyond the 32 bytes of one instruction`);
    a =
      desc.swizzle === 'none'
        ? desc.startAddress + (mn % 8) * 16 + Math.floor(mn / 8) * desc.sbo + Math.floor(kb / 16) * desc.lbo + (kb % 16)
        : desc.startAddress + (mn % 8) * w + Math.floor(mn / 8) * desc.sbo + kb;
  } else {
    const mb = mn * elemBytes;
    a =
      desc.swizzle === 'none'
        ? desc.startAddress + Math.floor(mb / 16) * desc.sbo + (k % 8) * 16 + Math.floor(k / 8) * desc.lbo + (mb % 16)
        : desc.startAddress + Math.floor(mb / w) * desc.lbo + (k % 8) * w + Math.floor(k / 8) * desc.sbo + (mb % w);
  }
  return swizzleAddress(a, desc.swizzle, desc.baseOffset);
}

function readElement(shared: Uint8Array, addr: number, t: InputType): number {
  const bytes = elementBits(t) / 8;
  if (addr < 0 || addr + bytes > shared.length) throw new Error(`wgmma operand: address ${addr} is outside shared memory`);
  const view = new DataView(shared.buffer, shared.byteOffset, shared.byteLength);
  if (t === 'tf32') return f32FromBits(view.getUint32(addr, true));
  return decodeElement(t, bytes === 2 ? view.getUint16(addr, true) : view.getUint8(addr));
}

/** The logical operand [mn][k] (mnCount x K values) a descriptor describes, as stored (tf32 not yet truncated). */
export function readSharedOperand(shared: Uint8Array, desc: MatrixDescriptor, major: Major, t: InputType, mnCount: number): number[][] {
  const bytes = elementBits(t) / 8;
  return Array.from({ length: mnCount }, (_, mn) => Array.from({ length: kOf(t) }, (_, k) => readElement(shared, canonicalAddress(desc, major, bytes, mn, k), t)));
}

/** Stores a logical operand [mn][k] where the descriptor's canonical layout puts it (the inverse of readSharedOperand). */
export function writeSharedOperand(shared: Uint8Array, desc: MatrixDescriptor, major: Major, t: InputType, matrix: readonly (readonly number[])[]): void {
  const bytes = elementBits(t) / 8;
  const view = new DataView(shared.buffer, shared.byteOffset, shared.byteLength);
  matrix.forEach((row, mn) =>
    row.forEach((v, k) => {
      const addr = canonicalAddress(desc, major, bytes, mn, k);
      if (t === 'tf32') view.setUint32(addr, f32ToBits(v), true);
      else if (bytes === 2) view.setUint16(addr, encodeElement(t, v), true);
      else view.setUint8(addr, encodeElement(t, v));
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// wgmma.mma_async

export interface WgmmaSpec {
  /** N: 8..256 in steps of 8 (integer types: 8, 16, 24, then multiples of 16). */
  n: number;
  aType: InputType;
  bType: InputType;
  dType: AccType;
  /** imm-trans-a / imm-trans-b: 1 = MN-major in shared memory (f16/bf16 only; A only from a descriptor). */
  transA?: boolean;
  transB?: boolean;
  /** imm-scale-a / imm-scale-b: -1 negates A / B (floating-point types only). */
  scaleA?: 1 | -1;
  scaleB?: 1 | -1;
  /** Integer types: clamp to the s32 range instead of wrapping. */
  satfinite?: boolean;
}

/** A from shared memory (a descriptor) or from registers (each thread's 4 registers, wgmmaALayout). */
export type WgmmaA = { desc: bigint } | { regs: readonly (readonly number[])[] };

/**
 * The variants ptxas 13.0 accepts on sm_90a: f16 -> f16 or f32; bf16, tf32 -> f32; e4m3/e5m2 (any pair) -> f16 or
 * f32; s8/u8 (any pair) -> s32. Transposes only for f16/bf16; scales only for floating-point types; integer N is one of
 * 8, 16, 24, 32, 48, ..., 256 (ptxas rejects m64n40k32 for integers).
 */
function checkWgmmaSpec(s: WgmmaSpec, aFromRegs: boolean): void {
  checkInputPair(s.aType, s.bType);
  const int = INT8.has(s.aType);
  const nOk = int ? [8, 16, 24].includes(s.n) || (s.n % 16 === 0 && s.n >= 32 && s.n <= 256) : s.n % 8 === 0 && s.n >= 8 && s.n <= 256;
  if (!nOk) throw new Error(`wgmma: N = ${s.n} is not a valid shape for ${s.aType}`);
  const dOk = s.aType === 'f16' || FP8.has(s.aType) ? s.dType === 'f16' || s.dType === 'f32' : int ? s.dType === 's32' : s.dType === 'f32';
  if (!dOk) throw new Error(`wgmma: no ${s.dType}.${s.aType}.${s.bType} variant`);
  const sixteen = s.aType === 'f16' || s.aType === 'bf16';
  if ((s.transA || s.transB) && !sixteen) throw new Error('wgmma: transposes are only for f16/bf16');
  if (s.transA && aFromRegs) throw new Error('wgmma: A from registers has no transpose');
  if (int && (s.scaleA === -1 || s.scaleB === -1)) throw new Error('wgmma: no imm-scale for integer types');
  if (s.satfinite && !int) throw new Error('wgmma: .satfinite is for integer types');
}

/**
 * wgmma.mma_async.sync.aligned.m64nNk{8,16,32}.dtype.atype.btype d, a-desc|a, b-desc, scale-d, ... for one warpgroup:
 * D = (scale-d ? D : 0) + (scaleA * A) x (scaleB * B), A 64 x K (K-major, or M-major with transA), B K x N stored N x K
 * (K-major, or N-major with transB). d: the 128 threads' D registers before the instruction (read only when scaleD);
 * returns them after it (when the instruction completes: see WgmmaAsyncModel for when that is).
 */
export function wgmmaMmaAsync(spec: WgmmaSpec, shared: Uint8Array, a: WgmmaA, bDesc: bigint, d: readonly (readonly number[])[], scaleD: boolean): number[][] {
  const aFromRegs = 'regs' in a;
  checkWgmmaSpec(spec, aFromRegs);
  const sa = spec.scaleA ?? 1;
  const sb = spec.scaleB ?? 1;
  const aRaw = aFromRegs ? unpackFragment(wgmmaALayout(spec.aType), spec.aType, a.regs) : readSharedOperand(shared, decodeDescriptor(a.desc), spec.transA ? 'MN' : 'K', spec.aType, 64);
  const am = aRaw.map((row) => row.map((v) => sa * asMultiplicand(spec.aType, v)));
  const bt = readSharedOperand(shared, decodeDescriptor(bDesc), spec.transB ? 'MN' : 'K', spec.bType, spec.n); // [n][k]
  const bm = Array.from({ length: kOf(spec.bType) }, (_, k) => bt.map((row) => sb * asMultiplicand(spec.bType, row[k]!)));
  const dLayout = wgmmaDLayout(spec.n, spec.dType);
  const cm = scaleD ? unpackFragment(dLayout, spec.dType, d) : Array.from({ length: 64 }, () => new Array<number>(spec.n).fill(0));
  return packFragment(dLayout, spec.dType, multiplyAccumulate(am, bm, cm, spec.dType, spec.satfinite ?? false));
}

// ---------------------------------------------------------------------------------------------------------------
// wgmma ordering: fence, commit_group, wait_group

/** A problem with the ordering of wgmma operations (undefined behaviour on the hardware). */
export class WgmmaOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WgmmaOrderError';
  }
}

interface WgmmaOp {
  id: number;
  /** Registers the op reads or writes (accumulators, A fragment), by whatever names the caller uses. */
  regs: ReadonlySet<string>;
  /** The accumulator registers and the shape: a later op of the same shape may chain on them without a fence. */
  acc: ReadonlySet<string>;
  shape: string;
  complete: boolean;
  result?: unknown;
}

/**
 * The ordering rules of wgmma for one warpgroup (PTX ISA wgmma.fence, wgmma.commit_group, wgmma.wait_group, and the
 * async proxy), as a state machine that throws WgmmaOrderError where the hardware's behaviour is undefined:
 *  - wgmma.fence is needed before the first wgmma.mma_async, and between a thread's access to registers and a
 *    wgmma.mma_async that uses them as accumulators or A fragment, except for accumulators chained between
 *    wgmma.mma_async of the same shape (ordered by default);
 *  - shared memory written through the generic proxy (st.shared) must be made visible to the async proxy with
 *    fence.proxy.async before a wgmma reads it;
 *  - wgmma.commit_group puts every uncommitted wgmma.mma_async into a new group (possibly empty); wgmma.wait_group N
 *    waits until at most the N most recent groups are pending: all older groups are complete;
 *  - the registers of an op that is not complete (accumulators, A fragment) must not be accessed.
 * Results are computed at issue by the caller's thunk and become visible on completion.
 */
export class WgmmaAsyncModel {
  private fenced = false;
  private readonly written = new Set<string>();
  private sharedWrittenSinceProxyFence = false;
  private nextId = 0;
  private ops: WgmmaOp[] = [];
  private readonly groups = new CommitGroups<WgmmaOp>();

  /** wgmma.fence.sync.aligned. */
  fence(): void {
    this.fenced = true;
    this.written.clear();
  }

  /** A thread writes these registers (outside wgmma). */
  writeRegisters(regs: readonly string[]): void {
    this.checkNotInFlight(regs, 'written');
    regs.forEach((r) => this.written.add(r));
  }

  /** A thread reads these registers (outside wgmma). */
  readRegisters(regs: readonly string[]): void {
    this.checkNotInFlight(regs, 'read');
  }

  /** A thread writes shared memory with st.shared (the generic proxy). */
  writeShared(): void {
    this.sharedWrittenSinceProxyFence = true;
  }

  /** fence.proxy.async (.shared::cta). */
  fenceProxyAsync(): void {
    this.sharedWrittenSinceProxyFence = false;
  }

  /**
   * wgmma.mma_async using accumulator registers `acc` and A-fragment registers `aRegs` (empty when A comes from a
   * descriptor); `compute` gives the result (e.g. a wgmmaMmaAsync call). Returns the op's id.
   */
  mmaAsync(shape: string, acc: readonly string[], aRegs: readonly string[], compute: () => unknown): number {
    if (!this.fenced) throw new WgmmaOrderError('wgmma.mma_async before any wgmma.fence');
    if (this.sharedWrittenSinceProxyFence) throw new WgmmaOrderError('wgmma.mma_async reads shared memory written by st.shared without fence.proxy.async');
    const unfenced = [...acc, ...aRegs].filter((r) => this.written.has(r));
    if (unfenced.length) throw new WgmmaOrderError(`registers ${unfenced.join(', ')} written since the last wgmma.fence`);
    // Two ops in flight may both read an A fragment; accumulators chain only between ops of the same shape.
    for (const op of this.ops) {
      if (op.complete) continue;
      const clash = [...acc.filter((r) => op.regs.has(r) && !(op.acc.has(r) && op.shape === shape)), ...aRegs.filter((r) => op.acc.has(r))];
      if (clash.length) throw new WgmmaOrderError(`registers ${clash.join(', ')} are used by wgmma ${op.id}, still in flight`);
    }
    const op: WgmmaOp = { id: this.nextId++, regs: new Set([...acc, ...aRegs]), acc: new Set(acc), shape, complete: false, result: compute() };
    this.ops.push(op);
    this.groups.add(op);
    return op.id;
  }

  /** wgmma.commit_group.sync.aligned. */
  commitGroup(): void {
    this.groups.commit();
  }

  /** wgmma.wait_group.sync.aligned n: returns the ids completed by this wait. */
  waitGroup(n: number): number[] {
    return this.groups.wait(n).map((op) => {
      op.complete = true;
      return op.id;
    });
  }

  isComplete(id: number): boolean {
    return this.ops[id]?.complete ?? false;
  }

  /** The result of a completed op (throws if it is not guaranteed complete). */
  result(id: number): unknown {
    const op = this.ops[id];
    if (!op) throw new WgmmaOrderError(`no wgmma ${id}`);
    if (!op.complete) throw new WgmmaOrderError(`wgmma ${id} is not complete: wait_group first`);
    return op.result;
  }

  private checkNotInFlight(regs: readonly string[], how: string): void {
    for (const op of this.ops) {
      if (op.complete) continue;
      const clash = regs.filter((r) => op.regs.has(r));
      if (clash.length) throw new WgmmaOrderError(`registers ${clash.join(', ')} ${how} while wgmma ${op.id} is in flight`);
    }
  }
}
