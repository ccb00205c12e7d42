// tl.dot: the matrix product of two 2-D tiles (or batches of them, 3-D tiles) with an accumulator, and its dtype rules.
import { SemanticError } from './errors.ts';
import { dtypes, type DType } from './dtype.ts';
import type { Semantic } from './semantic.ts';
import { TValue } from './values.ts';
import { inputPrecisions } from '../ir/ops.ts';

export interface DotOptions {
  /** How f32 inputs are multiplied: 'ieee' (exact f32 products, kt's default), 'tf32' or 'tf32x3'. */
  inputPrecision?: string;
  /** The accumulator dtype for f16 (and fp8) inputs: f32 by default, or f16; other inputs have theirs (i32, f32, f64), as in Triton. */
  outDtype?: DType;
  maxNumImpreciseAcc?: number;
}

const floatInputs: readonly DType[] = [dtypes.f16, dtypes.bf16, dtypes.f32, dtypes.f64];

export function dot(s: Semantic, a: TValue, b: TValue, acc: TValue | undefined, opts: DotOptions = {}): TValue {
  const [sa, sb] = [a.type.shape, b.type.shape];
  if (sa.length === 3 && sb.length === 3) return batchedDot(s, a, b, acc, opts);
  if (sa.length !== 2 || sb.length !== 2) throw new SemanticError(`dot needs 2-D tiles (or two 3-D batches of them), got ${a.type} and ${b.type}`);
  if (sa[1] !== sb[0]) {
    throw new SemanticError(`dot: inner dimensions differ: a is [${sa.join(', ')}] and b is [${sb.join(', ')}]`, 'a must be [M, K] and b [K, N]; tl.trans(b) may be what you meant');
  }
  if (a.type.isPointer || b.type.isPointer) throw new SemanticError('dot of pointers');
  const [da, db] = [a.type.dtype, b.type.dtype];
  if (da !== db) throw new SemanticError(`dot: both operands need one dtype, got ${da.name} and ${db.name}`, 'convert one with .to(...)');
  if (opts.outDtype === dtypes.bf16) throw new SemanticError('dot: outDtype bf16 is not supported (as in Triton)', 'use outDtype f32 (or f16) and convert the result with .to(tl.bfloat16)');
  // As Triton: integer operands accumulate in i32, f32 and bf16 ones in f32 and f64 ones in f64, whatever outDtype
  // asks (a Triton kernel's out_dtype=tl.int8 on int8 operands gives i32); f16 and fp8 ones in outDtype (f32 by default).
  let out: DType;
  if (da === dtypes.i8 || da === dtypes.u8) out = dtypes.i32;
  else if (da === dtypes.f64) out = dtypes.f64;
  else if (da === dtypes.f32 || da === dtypes.bf16) out = dtypes.f32;
  else if (floatInputs.includes(da) || da.isFp8) out = opts.outDtype ?? dtypes.f32;
  else throw new SemanticError(`dot does not support ${da.name} operands`, 'use f16, bf16, f32, f64 or i8');
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

/**
 * A batched dot, [B, M, K] @ [B, K, N] (+ [B, M, N]), as Triton's 3-D tl.dot: B 2-D dots of the batch's slices,
 * taken apart and put back together with permute, reshape, split and join (so every tier computes it with the ops it
 * has; correct, though not yet as fast as a native batched dot would be on the GPU).
 */
function batchedDot(s: Semantic, a: TValue, b: TValue, acc: TValue | undefined, opts: DotOptions): TValue {
  const [sa, sb] = [a.type.shape, b.type.shape];
  if (sa[0] !== sb[0]) throw new SemanticError(`dot: the batch dimensions differ: a is [${sa.join(', ')}] and b is [${sb.join(', ')}]`);
  if (sa[2] !== sb[1]) {
    throw new SemanticError(`dot: inner dimensions differ: a is [${sa.join(', ')}] and b is [${sb.join(', ')}]`, 'a must be [B, M, K] and b [B, K, N]');
  }
  const shape = [sa[0]!, sa[1]!, sb[2]!];
  if (acc && (acc.type.shape.length !== 3 || acc.type.shape.join() !== shape.join())) {
    throw new SemanticError(`dot: the accumulator has shape [${acc.type.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  const as = unbatch(s, a);
  const bs = unbatch(s, b);
  const cs = acc ? unbatch(s, acc) : undefined;
  return rebatch(
    s,
    as.map((x, i) => dot(s, x, bs[i]!, cs?.[i], opts)),
  );
}

/** The B slices [R, C] of a [B, R, C] tile, in batch order (split halves the batch by its lowest index bit, repeatedly). */
function unbatch(s: Semantic, x: TValue): TValue[] {
  const [B, R, C] = x.type.shape as [number, number, number];
  if (B === 1) return [s.reshape(x, [R, C])];
  let parts: { tile: TValue; batches: number[] }[] = [{ tile: s.permute(x, [1, 2, 0]), batches: Array.from({ length: B }, (_, i) => i) }];
  while (parts[0]!.batches.length > 1) {
    parts = parts.flatMap(({ tile, batches }) => {
      const [even, odd] = s.split(s.reshape(tile, [R, C, batches.length / 2, 2]));
      return [
        { tile: even, batches: batches.filter((_, i) => i % 2 === 0) },
        { tile: odd, batches: batches.filter((_, i) => i % 2 === 1) },
      ];
    });
  }
  const out = new Array<TValue>(B);
  for (const { tile, batches } of parts) out[batches[0]!] = s.reshape(tile, [R, C]);
  return out;
}

/** The [B, R, C] tile of B slices [R, C] (unbatch's inverse). */
function rebatch(s: Semantic, tiles: readonly TValue[]): TValue {
  const [R, C] = tiles[0]!.type.shape as [number, number];
  if (tiles.length === 1) return s.reshape(tiles[0]!, [1, R, C]);
  // [R, C, n] holding tiles[indices[i]] at i: the even positions' tile joined with the odd positions'.
  const build = (indices: readonly number[]): TValue => {
    if (indices.length === 1) return s.reshape(tiles[indices[0]!]!, [R, C, 1]);
    const even = build(indices.filter((_, i) => i % 2 === 0));
    const odd = build(indices.filter((_, i) => i % 2 === 1));
    return s.reshape(s.join(even, odd), [R, C, indices.length]);
  };
  return s.permute(
    build(tiles.map((_, i) => i)),
    [2, 0, 1],
  );
}
