// Triton's implicit type promotion, so that a kernel computes in the same types as its Triton twin.
import { SemanticError } from './errors.ts';
import { dtypes, type DType } from './dtype.ts';

/** C's usual arithmetic conversions for two integer dtypes. */
export function integerPromote(a: DType, b: DType): DType {
  if (a.isSigned === b.isSigned) return a.bits > b.bits ? a : b;
  const [unsigned, signed] = a.isUnsigned ? [a, b] : [b, a];
  return unsigned.bits >= signed.bits ? unsigned : signed;
}

/**
 * The dtype a binary arithmetic op computes in. A literal (`isLiteral`) of the same or a lower kind
 * (bool < integer < float, signed and unsigned integers alike) than the other operand does not take part, as in
 * Triton and PyTorch: `x_f16 * 2.0` stays f16, `x_u8 + 1` stays u8 (and wraps), `x_u32 % 3` is u32.
 */
export function computationType(a: DType, aIsLiteral: boolean, b: DType, bIsLiteral: boolean, divOrMod: boolean): DType {
  if (aIsLiteral !== bIsLiteral) {
    const [lit, tensor] = aIsLiteral ? [a, b] : [b, a];
    if (lit.kindRank <= tensor.kindRank) {
      // f16 and bf16 have no native division: compute / and % in f32 (rule 3 and 4 below).
      if (divOrMod && (tensor === dtypes.f16 || tensor === dtypes.bf16)) return dtypes.f32;
      return tensor;
    }
  }
  if (a === dtypes.f64 || b === dtypes.f64) return dtypes.f64;
  if (a === dtypes.f32 || b === dtypes.f32) return dtypes.f32;
  // As in Triton, f16 wins over bf16 (f16 + bf16 is f16).
  if (a === dtypes.f16 || b === dtypes.f16) return divOrMod ? dtypes.f32 : dtypes.f16;
  if (a === dtypes.bf16 || b === dtypes.bf16) {
    if (divOrMod) return dtypes.f32;
    return a === b ? dtypes.bf16 : dtypes.f32;
  }
  // Triton's rule 5: two fp8 operands of one format compute in it (which kt refuses where the op is emitted:
  // no instruction computes in fp8), of different formats in f16.
  if (a.isFp8 && b.isFp8) return a === b ? a : dtypes.f16;
  if (a.isFp8 || b.isFp8) {
    // Triton raises "unexpected type" here: it has no rule for fp8 with an integer.
    throw new SemanticError(
      `cannot combine ${a.name} and ${b.name}: there is no implicit conversion between fp8 and integers (as in Triton)`,
      'convert explicitly, e.g. x.to(tl.float32)',
    );
  }
  if (divOrMod && a.isSigned !== b.isSigned) {
    throw new SemanticError(
      `cannot use / or % with ${a.name} and ${b.name}: they differ in signedness`,
      'cast one operand so both are signed or both unsigned',
    );
  }
  return integerPromote(a, b);
}

/** The dtype Triton gives a literal: bool -> i1, integers -> i32/u32/i64/u64 by range, floats -> f32 (f64 if out of range). */
export function literalDType(v: number | bigint | boolean, isFloat: boolean): DType {
  if (typeof v === 'boolean') return dtypes.i1;
  if (isFloat || (typeof v === 'number' && !Number.isInteger(v))) {
    const a = Math.abs(Number(v));
    const f32ok = a === Infinity || a === 0 || Number.isNaN(a) || (a >= 2 ** -126 && a <= (2 - 2 ** -23) * 2 ** 127);
    return f32ok ? dtypes.f32 : dtypes.f64;
  }
  const b = BigInt(v);
  if (b >= -(2n ** 31n) && b < 2n ** 31n) return dtypes.i32;
  if (b >= 0n && b < 2n ** 32n) return dtypes.u32;
  if (b >= -(2n ** 63n) && b < 2n ** 63n) return dtypes.i64;
  if (b >= 0n && b < 2n ** 64n) return dtypes.u64;
  throw new SemanticError(`integer ${v} does not fit in 64 bits`);
}
