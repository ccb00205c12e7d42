// A value of any scalar type read from another lane of the warp (shfl.sync): 32-bit values as they are, wider ones
// (64-bit integers and floats, pointers) in two halves, narrower ones widened to 32 bits.
import type { Value } from '../../ir/core.ts';
import { FloatType, IntType, PointerType, f32, i1, i32, i64, type ScalarType } from '../../ir/types.ts';
import type { Lowering } from './lowering.ts';

/** Scalar types that shuffles move as they are; others are widened to 32 bits first. */
const is32 = (t: ScalarType): boolean => (t instanceof IntType && t.width === 32) || (t instanceof FloatType && t.width === 32);

/** A 32-bit-or-narrower value shuffled from another lane (wider values in two halves). */
export function shuffle(lw: Lowering, v: Value, mode: string, arg: Value): Value {
  const t = v.type as ScalarType;
  if (is32(t)) return lw.op1('gpu.shfl', [v, arg], t, { mode });
  if (t instanceof PointerType) return lw.op1('tt.int_to_ptr', [shuffle(lw, lw.op1('tt.ptr_to_int', [v], i64), mode, arg)], t);
  if (t instanceof IntType && t.width === 64) {
    const lo = lw.op1('arith.trunci', [v], i32);
    const hi = lw.op1('arith.trunci', [lw.op1('arith.shrui', [v, lw.constant(32, i64)], i64)], i32);
    const [slo, shi] = [lw.op1('gpu.shfl', [lo, arg], i32, { mode }), lw.op1('gpu.shfl', [hi, arg], i32, { mode })];
    return lw.op1('arith.ori', [lw.op1('arith.extui', [slo], i64), lw.op1('arith.shli', [lw.op1('arith.extui', [shi], i64), lw.constant(32, i64)], i64)], i64);
  }
  if (t instanceof FloatType && t.width === 64) {
    const bits = lw.op1('tt.bitcast', [v], i64);
    return lw.op1('tt.bitcast', [shuffle(lw, bits, mode, arg)], t);
  }
  if (t instanceof FloatType) {
    const wide = lw.op1('arith.extf', [v], f32);
    return lw.op1('arith.truncf', [lw.op1('gpu.shfl', [wide, arg], f32, { mode })], t);
  }
  // Narrow integers (and booleans) travel sign-extended in 32 bits.
  const wide = t === i1 ? lw.op1('arith.extui', [v], i32) : lw.op1('arith.extsi', [v], i32);
  const s = lw.op1('gpu.shfl', [wide, arg], i32, { mode });
  return t === i1 ? lw.op1('arith.cmpi', [s, lw.c32(0)], i1, { predicate: 'ne' }) : lw.op1('arith.trunci', [s], t);
}

