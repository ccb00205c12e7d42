// tl.dot: the matrix product of two 2-D tiles with an accumulator, and its dtype rules.
import { SemanticError } from './errors.ts';
import { dtypes, type DType } from './dtype.ts';
import type { Semantic } from './semantic.ts';
import { TValue } from './values.ts';
import { inputPrecisions } from '../ir/ops.ts';

export interface DotOptions {
  /** How f32 inputs are multiplied: 'ieee' (exact f32 products, kt's default), 'tf32' or 'tf32x3'. */
  inputPrecision?: string;
  /** The accumulator dtype: f32 by default; f16 is allowed for f16 inputs. */
  outDtype?: DType;
  maxNumImpreciseAcc?: number;
}

const floatInputs: readonly DType[] = [dtypes.f16, dtypes.bf16, dtypes.f32, dtypes.f64];

export function dot(s: Semantic, a: TValue, b: TValue, acc: TValue | undefined, opts: DotOptions = {}): TValue {
  const [sa, sb] = [a.type.shape, b.type.shape];
  if (sa.length !== 2 || sb.length !== 2) throw new SemanticError(`dot needs 2-D tiles, got ${a.type} and ${b.type}`);
  if (sa[1] !== sb[0]) {
    throw new SemanticError(`dot: inner dimensions differ: a is [${sa.join(', ')}] and b is [${sb.join(', ')}]`, 'a must be [M, K] and b [K, N]; tl.trans(b) may be what you meant');
  }
  if (a.type.isPointer || b.type.isPointer) throw new SemanticError('dot of pointers');
  const [da, db] = [a.type.dtype, b.type.dtype];
  if (da !== db) throw new SemanticError(`dot: both operands need one dtype, got ${da.name} and ${db.name}`, 'convert one with .to(...)');
  let out: DType;
  if (da === dtypes.i8 || da === dtypes.u8) out = dtypes.i32;
  else if (da === dtypes.f64) out = dtypes.f64;
  else if (floatInputs.includes(da)) out = opts.outDtype ?? dtypes.f32;
  else if (da.isFp8) out = opts.outDtype ?? dtypes.f32;
  else throw new SemanticError(`dot does not support ${da.name} operands`, 'use f16, bf16, f32, f64 or i8');
  if (opts.outDtype && out !== opts.outDtype) throw new SemanticError(`dot: outDtype ${opts.outDtype.name} is not available for ${da.name} operands`);
  if (out === dtypes.f16 && da !== dtypes.f16) throw new SemanticError(`dot: outDtype f16 needs f16 operands, got ${da.name}`);
  if (out !== dtypes.f32 && out !== dtypes.f16 && out !== dtypes.f64 && out !== dtypes.i32) throw new SemanticError(`dot cannot accumulate in ${out.name}`);
  const shape = [sa[0]!, sb[1]!];
  let c: TValue;
  if (acc) {
    if (acc.type.isPointer || acc.type.dtype !== out) {
      throw new SemanticError(`dot: the accumulator is ${acc.type} but a dot of ${da.name} accumulates in ${out.name}`, `make the accumulator ${out.name}, e.g. tl.zeros([${shape.join(', ')}], tl.${out.tritonName})`);
    }
    if (acc.type.shape.join() !== shape.join()) throw new SemanticError(`dot: the accumulator has shape [${acc.type.shape.join(', ')}], expected [${shape.join(', ')}]`);
    c = acc;
  } else {
    c = s.constant(0, out, shape);
  }
  const precision = da === dtypes.f32 ? (opts.inputPrecision ?? 'ieee') : 'ieee';
  if (!(inputPrecisions as readonly string[]).includes(precision)) {
    throw new SemanticError(`inputPrecision must be one of ${inputPrecisions.join(', ')}, got ${JSON.stringify(precision)}`);
  }
  const attrs = { inputPrecision: precision, ...(opts.maxNumImpreciseAcc !== undefined ? { maxNumImpreciseAcc: opts.maxNumImpreciseAcc } : {}) };
  return new TValue(s.b.value('tt.dot', [a.ir, b.ir, c.ir], c.type.ir, attrs), c.type);
}
