// accelerate-matmul: chooses the instruction of each dot. convert-to-gpu gives every tt.dot the FMA form (a
// blocked accumulator, operands copied to row-major shared buffers); this pass rewrites the dots the tensor
// cores can take:
//   - wgmma (sm_90, Hopper): the accumulator in an nvidia_mma v3 layout (warpgroups of 4 warps over 64-row
//     slabs), A and B in swizzled nvmma_shared buffers that wgmma reads through descriptors, the dot a
//     ttng.warp_group_dot. f16 and bf16 operands with f32 accumulators, A and B in either order of their
//     dimensions (wgmma transposes 16-bit operands itself); f32 with inputPrecision 'tf32', i8 (i32
//     accumulators) and fp8 e4m3/e5m2 with both operands K-major in shared memory.
//   - otherwise the dot stays on the FMA units: tiles smaller than a warpgroup's 64 rows or one instruction's
//     32 bytes of K, warp counts that are not whole warpgroups, f64, f32 with inputPrecision 'ieee' or
//     'tf32x3', and f16 accumulators.
// The accumulator is converted into the new layout before the dot and back after it; remove-layout-conversions
// then carries loop accumulators in the tensor-core layout so that no conversion is left in the loop.
import { convertLayout } from '../ir/builder.ts';
import { Operation } from '../ir/core.ts';
import { nvidiaMmaLayout, nvmmaSharedLayout, isBlockedRooted, rootLayout, type NvidiaMmaLayout } from '../ir/layouts.ts';
import { MemDescType, TensorType, bitWidth, memDescType, withEncoding, type ScalarType } from '../ir/types.ts';
import type { Pass } from './pass-manager.ts';

/** What the target offers: its architecture number (90 for sm_90). */
const archOf = (target: string): number => Number(target.replace(/^sm_(\d+).*$/, '$1'));

/** The widest swizzle (in bytes) a tile can take along its contiguous dimension: at most its row's bytes. */
export function swizzleFor(contiguousElements: number, elementBits: number): 0 | 32 | 64 | 128 {
  const bytes = (contiguousElements * elementBits) / 8;
  return bytes >= 128 ? 128 : bytes >= 64 ? 64 : bytes >= 32 ? 32 : 0;
}

/**
 * Warps over the accumulator for wgmma (as Triton's warpsPerTileV3): whole warpgroups along M while M has
 * 64-row slabs for them, the rest along N; and the instruction's N, what one warpgroup covers of its share.
 */
export function wgmmaShape(m: number, n: number, numWarps: number): { warpsPerCTA: [number, number]; instrN: number } | undefined {
  if (numWarps % 4 !== 0 || m % 64 !== 0) return undefined;
  let wm = 4;
  while (wm * 2 <= numWarps && m >= 64 * (wm / 4) * 2) wm *= 2;
  const wn = numWarps / wm;
  if (n % wn !== 0) return undefined;
  const instrN = Math.min(256, n / wn);
  if (instrN < 8 || (instrN & (instrN - 1)) !== 0) return undefined;
  return { warpsPerCTA: [wm, wn], instrN };
}

/** The memdesc operand made by convert-to-gpu's local_alloc, and the register layout of the tile it copies. */
function operandAlloc(op: Operation, i: number): Operation | undefined {
  const alloc = op.operands[i]!.definingOp;
  return alloc?.name === 'ttg.local_alloc' && alloc.operands[0]!.type instanceof TensorType ? alloc : undefined;
}

/** The dimension along which a register layout holds consecutive elements (order[0] of its blocked root). */
function fastestDim(t: TensorType): number {
  const l = t.encoding;
  if (l && isBlockedRooted(l)) return rootLayout(l).order[0]!;
  return t.shape.length - 1;
}

/**
 * The operand types wgmma takes with the accumulator it needs (PTX ISA, wgmma.mma_async): 16-bit floats in either
 * order of their dimensions; tf32 (f32 inputs with inputPrecision 'tf32'), i8 and fp8 only K-major.
 */
function wgmmaOperands(el: ScalarType, acc: ScalarType, precision: string): { kMajorOnly: boolean } | undefined {
  const t = el.text;
  if ((t === 'f16' || t === 'bf16') && acc.text === 'f32') return { kMajorOnly: false };
  if (t === 'f32' && precision === 'tf32' && acc.text === 'f32') return { kMajorOnly: true };
  if (t === 'i8' && acc.text === 'i32') return { kMajorOnly: true };
  if ((t === 'f8E4M3FN' || t === 'f8E5M2') && acc.text === 'f32') return { kMajorOnly: true };
  return undefined;
}

function toWgmma(op: Operation, numWarps: number, root: Operation): boolean {
  const accType = op.operands[2]!.type as TensorType;
  const [m, n] = accType.shape as [number, number];
  const [allocA, allocB] = [operandAlloc(op, 0), operandAlloc(op, 1)];
  if (!allocA || !allocB) return false;
  const allocs = [allocA, allocB];
  const el = (allocA.result.type as MemDescType).element;
  const operands = wgmmaOperands(el, accType.element, op.attrs['inputPrecision'] as string);
  if (!operands) return false;
  // One instruction reads 32 bytes of K.
  const k = (allocA.result.type as MemDescType).shape[1]!;
  if ((k * bitWidth(el)) % 256 !== 0) return false;
  const shape = wgmmaShape(m, n, numWarps);
  if (!shape) return false;
  const layout: NvidiaMmaLayout = nvidiaMmaLayout(3, shape.warpsPerCTA, [16, shape.instrN, 256 / bitWidth(el)]);
  // Each operand's buffer keeps the dimension its registers hold consecutively contiguous, so the copy into
  // shared memory is 16-byte stores; wgmma reads either order of 16-bit operands (the transpose flags). The
  // other types must be K-major (A's dimension 1, B's dimension 0), whatever order their registers hold.
  let placed = true;
  allocs.forEach((alloc, i) => {
    const src = alloc.operands[0]!.type as TensorType;
    const kDim = i === 0 ? 1 : 0;
    const contiguous = operands.kMajorOnly ? kDim : fastestDim(src) === 0 ? 0 : 1;
    const swizzle = swizzleFor(src.shape[contiguous]!, bitWidth(src.element));
    if (swizzle === 0) placed = false;
    else alloc.result.type = memDescType(src.shape, src.element, nvmmaSharedLayout(swizzle, bitWidth(src.element), contiguous === 0));
  });
  if (!placed) return false;
  const block = op.parent!;
  const accIn = block.insertBefore(op, convertLayout(op.operands[2]!, layout, op.loc));
  const dot = new Operation('ttng.warp_group_dot', [op.operands[0]!, op.operands[1]!, accIn.result], [withEncoding(accType, layout)], { inputPrecision: op.attrs['inputPrecision']!, isAsync: false }, [], op.loc);
  block.insertBefore(op, dot);
  const back = block.insertBefore(op, convertLayout(dot.result, accType.encoding!, op.loc));
  const old = op.result;
  op.erase();
  root.walk((user) => {
    if (user !== back) user.operands = user.operands.map((v) => (v === old ? back.result : v));
  });
  return true;
}

export function accelerateMatmul(target: string): Pass {
  return {
    name: 'accelerate-matmul',
    run(module: Operation): Operation {
      const numWarps = module.attrs['ttg.num-warps'] as number;
      if (archOf(target) < 90) return module;
      const dots: Operation[] = [];
      module.walk((op) => {
        if (op.name === 'tt.dot') dots.push(op);
      });
      for (const op of dots) toWgmma(op, numWarps, module);
      return module;
    },
  };
}
