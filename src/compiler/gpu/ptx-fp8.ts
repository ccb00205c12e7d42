// fp8 (e4m3 and e5m2) in PTX: constants, conversions to and from every other scalar type, bitcasts, and packed
// vector accesses. ptx.ts calls in here for any op with an fp8 operand or result that is more than a move.
//
// Registers. An fp8 value lives in a .b16 register, its byte in bits 0-7; bits 8-15 are unspecified (conversions
// leave a copy of the byte there). Why .b16: PTX's fp8 conversions take and give fp8 pairs in .b16 registers
// (cvt.rn.satfinite.e4m3x2.f32 d, a, b writes d: .b16; cvt.rn.f16x2.e4m3x2 d, a reads a: .b16), so a value is
// converted without moving between register classes; loads and stores move one byte (ld/st .b8 into and out of a
// wider register, as PTX allows) or four at a time in .v4.b8; selects, moves and loop-carried copies are .b16 ones.
// Nothing reads the upper byte: stores and packing take the low byte, bitcasts to i8 sign-extend it, conversions
// from fp8 use the low half of their f16x2 result.
//
// Conversions, all exact or correctly rounded once (what the interpreter computes, src/numerics.ts):
//  - to fp8: the source is brought to f32 exactly (f16, bf16: widening; integers: cvt.rn, exact up to 2^24, and
//    beyond that fp8 saturates anyway; f64: rounded to odd, see f64ToF32Odd), then cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32
//    rounds to nearest even, turns magnitudes past the largest finite value (infinity too) into that value with the
//    sign, and NaN into NaN (PTX ISA, cvt, ".satfinite").
//  - from fp8: cvt.rn.f16x2.{e4m3x2,e5m2x2} gives the f16 holding the value exactly; then cvt to f32 or f64 (exact),
//    bf16 through f32 (exact: every fp8 value is a bf16), integers through f32 with cvt.rzi (toward zero, saturating,
//    NaN to 0, as every float-to-integer conversion in kt). (The frontend converts fp8 to integers through an f32
//    itself, so those come here only from IR written by hand.)
// These instructions exist on sm_90 from PTX ISA 7.8 and on sm_89 (Ada) from 8.1 (ptx.ts declares 8.1 for sm_89);
// below sm_89, conversions are an error. Loads, stores and constants are plain bytes and work on any target. Triton
// lowers the same way on sm_89+ (cvt.rn.satfinite ...x2.f32 for f32 to fp8, cvt.rn.f16x2...x2 for fp8 to f16). The
// H200 gives what src/numerics.ts computes for every case of test/gpu/fp8.test.ts, bit for bit (NaN is 0x7f from any
// NaN, -0 stays -0, infinities saturate).
import { DenseAttr, type FloatAttr, type IntegerAttr } from '../ir/attributes.ts';
import type { Operation, Value } from '../ir/core.ts';
import { FloatType, IntType, f16, f32, f64, i1, i32, i64, type Type } from '../ir/types.ts';
import { e4m3ToBits, e5m2ToBits } from '../../numerics.ts';
import type { PtxPrinter } from './ptx.ts';

/** Whether `t` is an 8-bit float (an fp8 scalar type). */
export const isFp8 = (t: Type | undefined): t is FloatType => t instanceof FloatType && t.width === 8;

/** The format's name in PTX instruction types (.e4m3x2, .e5m2x2). */
const ptxFormat = (t: FloatType): string => (t.text === 'f8E4M3FN' ? 'e4m3' : 'e5m2');

const conversions = new Set(['arith.extf', 'arith.truncf', 'arith.sitofp', 'arith.uitofp', 'arith.fptosi', 'arith.fptoui']);

/**
 * Prints `op` if it is an fp8 constant, a conversion to or from fp8, or a bitcast of fp8; returns false (printing
 * nothing) for every other op, which the printer's own table handles.
 */
export function printFp8Op(p: PtxPrinter, op: Operation): boolean {
  const from = op.operands[0]?.type;
  const to = op.results[0]?.type;
  if (op.name === 'arith.constant' && isFp8(to)) constant(p, op, to);
  else if (conversions.has(op.name) && (isFp8(from) || isFp8(to))) convert(p, op);
  else if (op.name === 'tt.bitcast' && (isFp8(from) || isFp8(to))) bitcast(p, op);
  else return false;
  return true;
}

/** Conversions need the fp8 cvt instructions of sm_89 and later. */
function requireSm89(p: PtxPrinter, op: Operation): void {
  if (p.sm >= 89) return;
  throw new Error(`fp8 needs sm_89 or later: ${op.name} from ${op.operands[0]!.type.text} to ${op.result.type.text} uses PTX's fp8 conversions, which the target sm_${p.sm} lacks`);
}

function constant(p: PtxPrinter, op: Operation, t: FloatType): void {
  const a = op.attrs['value'];
  const x = (a instanceof DenseAttr ? a.splat : (a as IntegerAttr | FloatAttr)).value;
  // The constant is an fp8 value already (the frontend rounded it): encoded exactly, e5m2's infinities included.
  const bits = t.text === 'f8E4M3FN' ? e4m3ToBits(Number(x), false) : e5m2ToBits(Number(x), false);
  p.emit(`mov.b16 ${p.r(op.result)}, 0x${bits.toString(16).toUpperCase().padStart(4, '0')};`);
}

function convert(p: PtxPrinter, op: Operation): void {
  if (op.attrs['rounding'] === 'rtz') throw new Error(`${op.name} to ${op.result.type.text} rounding toward zero reaches the PTX printer: the lowering writes it out (fp8-rtz.ts)`);
  requireSm89(p, op);
  const x = op.operands[0]!;
  const to = op.result.type;
  const d = p.r(op.result);
  if (isFp8(to)) {
    const f = toF32(p, x, op.name === 'arith.uitofp');
    // Both halves of the pair get x: the low byte is the value, the high one a copy nobody reads.
    return p.emit(`cvt.rn.satfinite.${ptxFormat(to)}x2.f32 ${d}, ${f}, ${f};`);
  }
  if (to instanceof FloatType && to.text === 'f16') return void fp8ToF16(p, x, d);
  if (to instanceof FloatType && to.width === 64) return p.emit(`cvt.f64.f16 ${d}, ${fp8ToF16(p, x)};`);
  if (to instanceof FloatType && to.width === 32) return p.emit(`cvt.f32.f16 ${d}, ${fp8ToF16(p, x)};`);
  const f = p.tmp(f32);
  p.emit(`cvt.f32.f16 ${f}, ${fp8ToF16(p, x)};`);
  if (to instanceof FloatType) return p.emit(`cvt.rn.${to.text}.f32 ${d}, ${f};`); // bf16: exact
  f32ToInt(p, op, f);
}

/** The f16 (in a .b16 register: `into`, or a new one) holding the fp8 value x exactly. */
function fp8ToF16(p: PtxPrinter, x: Value, into?: string): string {
  const pair = p.tmp(i32);
  const [lo, hi] = [into ?? p.tmp(f16), p.tmp(f16)];
  p.emit(`cvt.rn.f16x2.${ptxFormat(x.type as FloatType)}x2 ${pair}, ${p.r(x)};`);
  p.emit(`mov.b32 {${lo}, ${hi}}, ${pair};`);
  return lo;
}

/**
 * An f32 register from which one rounding to fp8 gives the correctly rounded fp8 of x (any float, or an integer read
 * as unsigned or signed).
 */
function toF32(p: PtxPrinter, x: Value, unsigned: boolean): string {
  const t = x.type;
  if (isFp8(t)) {
    const f = p.tmp(f32);
    p.emit(`cvt.f32.f16 ${f}, ${fp8ToF16(p, x)};`);
    return f;
  }
  if (t instanceof FloatType) {
    if (t.width === 32) return p.r(x);
    if (t.width === 64) return f32RoundedToOdd(p, p.r(x), 'f64');
    const f = p.tmp(f32);
    p.emit(`cvt.f32.${t.text} ${f}, ${p.r(x)};`); // f16, bf16: exact
    return f;
  }
  const it = t as IntType;
  const f = p.tmp(f32);
  if (it.width === 1) {
    const u = p.tmp(i32);
    p.emit(`selp.u32 ${u}, 1, 0, ${p.r(x)};`);
    p.emit(`cvt.rn.f32.u32 ${f}, ${u};`);
    return f;
  }
  // Narrow integers live sign-extended in 32-bit registers; an unsigned one is read zero-extended.
  const src = unsigned ? p.unsignedOperand(x) : p.r(x);
  p.emit(`cvt.rn.f32.${unsigned ? 'u' : 's'}${it.width === 64 ? 64 : 32} ${f}, ${src};`);
  return f;
}

/**
 * x (in a register of PTX type `from`: f64, or an integer type s32, u32, s64, u64) to f32 rounded to odd: truncated
 * toward zero, with the last bit set where that dropped anything (the truncation converted back differs). Rounding
 * that once more to a format of at most 22 significant bits (bf16 has 8, fp8 4 or 3) gives what rounding x directly
 * would (Boldo and Melquiond, "When double rounding is odd", 2005), where going through cvt.rn.f32 could round twice:
 * the integer 2^25 + 2^17 + 1, just above a tie of bf16 values, rounds onto the tie in f32 and then to even, down.
 * Overflow truncates to the largest f32, which fp8 saturates like x; infinities and NaN pass through; no integer
 * overflows (the largest u64 truncates to 2^64 - 2^40), so converting an integer back is exact.
 */
export function f32RoundedToOdd(p: PtxPrinter, x: string, from: 'f64' | 's32' | 'u32' | 's64' | 'u64'): string {
  const float = from === 'f64';
  const [f, back, bits, inexact, out] = [p.tmp(f32), p.tmp(float ? f64 : from.endsWith('64') ? i64 : i32), p.tmp(i32), p.tmp(i1), p.tmp(f32)];
  p.emit(`cvt.rz.f32.${from} ${f}, ${x};`);
  p.emit(float ? `cvt.f64.f32 ${back}, ${f};` : `cvt.rzi.${from}.f32 ${back}, ${f};`);
  p.emit(`setp.${float ? 'neu' : 'ne'}.${from} ${inexact}, ${back}, ${x};`);
  p.emit(`mov.b32 ${bits}, ${f};`);
  p.emit(`@${inexact} or.b32 ${bits}, ${bits}, 1;`);
  p.emit(`mov.b32 ${out}, ${bits};`);
  return out;
}

/** f (an f32 holding an fp8 value) to the integer result of op, toward zero and saturating (NaN gives 0). */
function f32ToInt(p: PtxPrinter, op: Operation, f: string): void {
  const dst = op.result.type as IntType;
  if (dst.width === 1) throw new Error('fp8 to i1 is a comparison with zero, made in f32 by the frontend, not a conversion');
  const signed = op.name === 'arith.fptosi';
  const d = p.r(op.result);
  if (dst.width === 64) {
    // cvt.rzi to 64 bits gives 2^63 for NaN on the H200 (it gives 0 to 32 bits): make it 0, as everywhere in kt.
    const nan = p.tmp(i1);
    p.emit(`cvt.rzi.${signed ? 's' : 'u'}64.f32 ${d}, ${f};`);
    p.emit(`setp.nan.f32 ${nan}, ${f}, ${f};`);
    return p.emit(`@${nan} mov.b64 ${d}, 0;`);
  }
  if (dst.width === 32) return p.emit(`cvt.rzi.${signed ? 's' : 'u'}32.f32 ${d}, ${f};`);
  p.emit(`cvt.rzi.${signed ? 's32' : 'u32'}.f32 ${d}, ${f};`);
  if (signed) {
    p.emit(`max.s32 ${d}, ${d}, ${-(2 ** (dst.width - 1))};`);
    p.emit(`min.s32 ${d}, ${d}, ${2 ** (dst.width - 1) - 1};`);
  } else p.emit(`min.u32 ${d}, ${d}, ${2 ** dst.width - 1};`);
  p.canonicalize(op.result);
}

/** fp8 <-> i8 (and e4m3 <-> e5m2): the byte moves between the .b16 form and an i8's sign-extended .b32 form. */
function bitcast(p: PtxPrinter, op: Operation): void {
  const [from, to] = [op.operands[0]!.type, op.result.type];
  const [d, x] = [p.r(op.result), p.r(op.operands[0]!)];
  if (isFp8(from) && isFp8(to)) return p.emit(`mov.b16 ${d}, ${x};`);
  if (isFp8(from) && to instanceof IntType && to.width === 8) return p.emit(`cvt.s32.s8 ${d}, ${x};`);
  if (isFp8(to) && from instanceof IntType && from.width === 8) return p.emit(`cvt.u16.u8 ${d}, ${x};`);
  throw new Error(`no bitcast from ${from.text} to ${to.text}: both sides need 8 bits`);
}

/**
 * How a vector access uses its registers: a store reads them; a load writes them; a masked load (predicated off
 * for masked-off elements) writes them where its predicate holds and keeps what they held elsewhere, so packed
 * registers must hold the old values before it as well as be unpacked after it.
 */
export type AccessKind = 'store' | 'load' | 'maskedLoad';

/**
 * A vector access of 8 or 16 fp8 values (what coalescing makes of 8 or 16 contiguous bytes): PTX vectors hold at
 * most 4 elements, so the bytes travel packed four to a .b32 word, as `.v2.b32` or `.v4.b32`. `text` builds the
 * instruction from the register list and the type suffix. For masked loads the words are packed first too: a
 * predicated load that does not happen leaves them, and so the masked-off elements' registers, as they were.
 */
export function fp8PackedAccess(p: PtxPrinter, vals: readonly Value[], kind: AccessKind, text: (regs: string, type: string) => string): void {
  const words = Array.from({ length: vals.length / 4 }, () => p.tmp(i32));
  const quad = (i: number): string[] => [0, 1, 2, 3].map((k) => p.r(vals[4 * i + k]!));
  if (kind !== 'load') words.forEach((w, i) => {
    const [a, b, c, e] = quad(i);
    const [lo, hi] = [p.tmp(i32), p.tmp(i32)];
    p.emit(`mov.b32 ${lo}, {${a}, ${b}};`);
    p.emit(`mov.b32 ${hi}, {${c}, ${e}};`);
    // Bytes 0 and 2 of lo, 0 and 2 of hi (bytes 4 and 6 of the pair): the four values' low bytes, in order.
    p.emit(`prmt.b32 ${w}, ${lo}, ${hi}, 0x6420;`);
  });
  p.emit(text(words.length > 1 ? `{${words.join(', ')}}` : words[0]!, `.v${words.length}.b32`));
  if (kind === 'store') return;
  words.forEach((w, i) => {
    const [a, b, c, e] = quad(i);
    const [lo, hi] = [p.tmp(i32), p.tmp(i32)];
    // Each value's byte into the low byte of a 16-bit half, zeros above (byte 4 of the pair {w, 0} is zero).
    p.emit(`prmt.b32 ${lo}, ${w}, 0, 0x4140;`);
    p.emit(`prmt.b32 ${hi}, ${w}, 0, 0x4342;`);
    p.emit(`mov.b32 {${a}, ${b}}, ${lo};`);
    p.emit(`mov.b32 {${c}, ${e}}, ${hi};`);
  });
}
