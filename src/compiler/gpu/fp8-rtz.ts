// A float narrowed to fp8 rounding toward zero (arith.truncf {rounding = "rtz"}, tl.cast's fpDowncastRounding 'rtz'),
// expanded into ordinary per-thread IR: PTX converts to fp8 only to nearest (cvt.rn.satfinite), so the result's
// bits are computed from the f32's. Truncating the f32's bits is rounding toward zero, and so is going to that f32
// first (an f64 through cvt.rz to f32, f16 and bf16 widened exactly): every fp8 value is an f32, so the largest fp8
// magnitude at most |x| is also the largest at most |x| truncated to f32. What comes out is src/numerics.ts's
// roundTowardZero: magnitudes past the largest finite value (infinities too) give it with their sign, as kt's
// conversions to fp8 saturate; NaN gives the NaN 0x7f. The expansion needs no fp8 instruction, so it runs on any
// target, and being IR, the lowering simulator checks it against the interpreter.
import type { Value } from '../ir/core.ts';
import { FloatType, f32, i1, i32, i8 } from '../ir/types.ts';
import type { Lowering } from './lowering/lowering.ts';

const f32Bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

/** x (any float wider than fp8) converted to the fp8 type `to`, rounding toward zero. */
export function truncToFp8TowardZero(lw: Lowering, x: Value, to: FloatType): Value {
  const e4m3 = to.text === 'f8E4M3FN';
  const [mantissaBits, bias, maxCode, maxValue] = e4m3 ? [3, 7, 0x7e, 448] : [2, 15, 0x7b, 57344];
  const src = x.type as FloatType;
  const f = src.width === 32 ? x : lw.op1(src.width === 64 ? 'arith.truncf' : 'arith.extf', [x], f32, src.width === 64 ? { rounding: 'rtz' } : {});
  const i = (name: string, a: Value, b: Value): Value => lw.op1(name, [a, b], i32);
  const cmp = (pred: string, a: Value, b: Value): Value => lw.op1('arith.cmpi', [a, b], i1, { predicate: pred });
  const select = (c: Value, a: Value, b: Value): Value => lw.op1('arith.select', [c, a, b], i32);

  const bits = lw.op1('tt.bitcast', [f], i32);
  const magnitude = i('arith.andi', bits, lw.c32(0x7fffffff));
  const sign = i('arith.andi', i('arith.shrui', bits, lw.c32(24)), lw.c32(0x80));
  // Normal results: the exponent rebased and the mantissa's low bits dropped, in one subtraction and shift.
  const normal = i('arith.shrui', i('arith.subi', magnitude, lw.c32((127 - bias) << 23)), lw.c32(23 - mantissaBits));
  // Subnormal results: how many of the smallest subnormals fit in |x| (scaling by a power of two is exact, and
  // cvt.rzi truncates).
  const scaled = lw.op1('arith.mulf', [lw.op1('tt.bitcast', [magnitude], f32), lw.constant(2 ** (bias - 1 + mantissaBits), f32)], f32);
  const subnormal = lw.op1('arith.fptoui', [scaled], i32);
  let code = select(cmp('uge', magnitude, lw.c32(f32Bits(2 ** (1 - bias)))), normal, subnormal);
  code = select(cmp('ugt', magnitude, lw.c32(f32Bits(maxValue))), lw.c32(maxCode), code);
  code = i('arith.ori', code, sign);
  code = select(lw.op1('arith.cmpf', [f, f], i1, { predicate: 'uno' }), lw.c32(0x7f), code);
  return lw.op1('tt.bitcast', [lw.op1('arith.trunci', [code], i8)], to);
}
