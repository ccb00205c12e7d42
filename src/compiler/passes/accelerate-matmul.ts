// accelerate-matmul: chooses the instruction of each dot. convert-to-gpu gives every tt.dot the FMA form (a
// blocked accumulator, operands copied to row-major shared buffers); this pass rewrites the dots the tensor
// cores can take:
//   - wgmma (sm_90, Hopper): the accumulator in an nvidia_mma v3 layout (warpgroups of 4 warps over 64-row
//     slabs), A and B in swizzled nvmma_shared buffers that wgmma reads through descriptors, the dot a
//     ttng.warp_group_dot. f16 and bf16 operands with f32 accumulators, A and B in either order of their
//     dimensions (wgmma transposes 16-bit operands itself); f32 with inputPrecision 'tf32', i8 (i32
//     accumulators) and fp8 e4m3/e5m2 only when both operands' registers hold K consecutively, so that their
//     K-major buffers are written in whole vectors.
//   - mma.sync (sm_80 and later; fp8 from sm_89), where wgmma does not apply: the accumulator in an nvidia_mma
//     v2 layout (16 x 8 tiles per warp), A and B in swizzled shared buffers read into dot_operand registers
//     (ttg.local_load), the dot a tt.dot on those registers. This is also what Triton does on Hopper with a
//     tf32 or 8-bit operand stored MN-major.
//   - otherwise the dot stays on the FMA units: tiles smaller than one instruction's tile or 32 bytes of K,
//     f64, f32 with inputPrecision 'ieee', and f16 accumulators ('tf32x3' reaches this pass as three tf32 dots:
//     decompose-tf32x3).
// The accumulator is converted into the new layout before the dot and back after it; remove-layout-conversions
// then carries loop accumulators in the tensor-core layout so that no conversion is left in the loop.
import { convertLayout } from '../ir/builder.ts';
import { Operation, type Value } from '../ir/core.ts';
import { hasTrait } from '../ir/ops.ts';
import { dotOperandLayout, nvidiaMmaLayout, nvmmaSharedLayout, isBlockedRooted, rootLayout, type NvidiaMmaLayout } from '../ir/layouts.ts';
import { MemDescType, TensorType, bitWidth, memDescType, tensorType, withEncoding, type ScalarType } from '../ir/types.ts';
import { mmaSyncInstruction } from '../gpu/tensor-core-instructions.ts';
import { AxisAnalysis } from '../gpu/axis-info.ts';
import { coalescedLayout } from './coalesce.ts';
import type { Pass } from './pass-manager.ts';
import { smOf } from '../../gpu-targets.ts';

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

/**
 * The load a tile comes from through elementwise ops of tiles of its shape (a cast, the split of a tf32x3
 * operand), whose layout the remove-layout-conversions pass will carry to it; undefined if there is none.
 */
function loadBehind(v: Value, depth: number): Operation | undefined {
  const def = v.definingOp;
  if (!def || depth === 0) return undefined;
  if (def.name === 'tt.load') return def;
  if (!hasTrait(def, 'elementwise')) return undefined;
  for (const operand of def.operands) {
    if (!(operand.type instanceof TensorType) || operand.type.shape.join() !== (v.type as TensorType).shape.join()) continue;
    const found = loadBehind(operand, depth - 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * The dimension along which an operand's registers will hold consecutive elements: for a loaded tile (or one
 * computed elementwise from a loaded tile), the one coalescing (which runs after this pass) will give its load;
 * otherwise order[0] of its blocked layout.
 */
function fastestDim(alloc: Operation, axis: AxisAnalysis, numWarps: number): number {
  const src = alloc.operands[0]!;
  const load = loadBehind(src, 8);
  const l = load ? coalescedLayout(load, axis, numWarps) : (src.type as TensorType).encoding;
  if (l && isBlockedRooted(l)) return rootLayout(l).order[0]!;
  return (src.type as TensorType).shape.length - 1;
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

function toWgmma(op: Operation, numWarps: number, root: Operation, axis: AxisAnalysis): boolean {
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
  // other types must be K-major (A's dimension 1, B's dimension 0): held MN-major in registers, they would be
  // stored an element at a time, and mma.sync serves them better.
  if (operands.kMajorOnly && allocs.some((alloc, i) => fastestDim(alloc, axis, numWarps) !== (i === 0 ? 1 : 0))) return false;
  const buffers = allocs.map((alloc, i) => {
    const src = alloc.operands[0]!.type as TensorType;
    const kDim = i === 0 ? 1 : 0;
    const contiguous = operands.kMajorOnly ? kDim : fastestDim(alloc, axis, numWarps) === 0 ? 0 : 1;
    const swizzle = swizzleFor(src.shape[contiguous]!, bitWidth(src.element));
    return swizzle === 0 ? undefined : memDescType(src.shape, src.element, nvmmaSharedLayout(swizzle, bitWidth(src.element), contiguous === 0));
  });
  // Nothing changes unless both operands can be placed (the dot may still go to mma.sync or the FMA units).
  if (buffers.includes(undefined)) return false;
  allocs.forEach((alloc, i) => (alloc.result.type = buffers[i]!));
  replaceDot(op, layout, root, (accIn) => new Operation('ttng.warp_group_dot', [op.operands[0]!, op.operands[1]!, accIn], [withEncoding(accType, layout)], { inputPrecision: op.attrs['inputPrecision']!, isAsync: false }, [], op.loc));
  return true;
}

/**
 * Replaces a dot by `make(accumulator in layout)`, converting the accumulator into the tensor-core layout
 * before it and back after it.
 */
function replaceDot(op: Operation, layout: NvidiaMmaLayout, root: Operation, make: (accIn: Operation['result']) => Operation): void {
  const accType = op.operands[2]!.type as TensorType;
  const block = op.parent!;
  const accIn = block.insertBefore(op, convertLayout(op.operands[2]!, layout, op.loc));
  const dot = block.insertBefore(op, make(accIn.result));
  const back = block.insertBefore(op, convertLayout(dot.result, accType.encoding!, op.loc));
  const old = op.result;
  op.erase();
  root.walk((user) => {
    if (user !== back) user.operands = user.operands.map((v) => (v === old ? back.result : v));
  });
}

/**
 * Warps over the accumulator for mma.sync (16 x 8 tiles per warp): each doubling goes to the dimension whose
 * per-warp share is larger (counting N's 8-wide tiles against M's 16 rows), so that warps keep square-ish
 * tiles and read the least of A and B; undefined when the warps cannot all have a whole tile.
 */
export function mmaSyncWarps(m: number, n: number, numWarps: number): [number, number] | undefined {
  let [wm, wn] = [1, 1];
  while (wm * wn < numWarps) {
    const rowsLeft = m / (16 * wm);
    const colsLeft = n / (8 * wn);
    if (rowsLeft >= 2 && (rowsLeft >= colsLeft / 2 || colsLeft < 2)) wm *= 2;
    else if (colsLeft >= 2) wn *= 2;
    else return undefined;
  }
  return m % (16 * wm) === 0 && n % (8 * wn) === 0 ? [wm, wn] : undefined;
}

function toMmaSync(op: Operation, numWarps: number, arch: number, root: Operation, axis: AxisAnalysis): boolean {
  const accType = op.operands[2]!.type as TensorType;
  const [m, n] = accType.shape as [number, number];
  const [allocA, allocB] = [operandAlloc(op, 0), operandAlloc(op, 1)];
  if (!allocA || !allocB) return false;
  const aBuf = allocA.result.type as MemDescType;
  const instr = mmaSyncInstruction(aBuf.element, accType.element, op.attrs['inputPrecision'] as string, arch);
  if (!instr || aBuf.shape[1]! % instr.k !== 0) return false;
  const warps = mmaSyncWarps(m, n, numWarps);
  if (!warps) return false;
  const layout = nvidiaMmaLayout(2, warps, [16, 8]);
  // Each buffer keeps the dimension its registers hold consecutively contiguous (16-byte stores and copies),
  // swizzled so that the fragment reads spread over the banks; a row under 32 bytes stays row-major.
  const operands = [allocA, allocB].map((alloc, i) => {
    const src = alloc.operands[0]!.type as TensorType;
    const contiguous = fastestDim(alloc, axis, numWarps) === 0 ? 0 : 1;
    const swizzle = swizzleFor(src.shape[contiguous]!, bitWidth(src.element));
    if (swizzle !== 0) alloc.result.type = memDescType(src.shape, src.element, nvmmaSharedLayout(swizzle, bitWidth(src.element), contiguous === 0));
    const registers = tensorType(src.shape, src.element, dotOperandLayout(i as 0 | 1, layout, instr.kWidth));
    return op.parent!.insertBefore(op, new Operation('ttg.local_load', [op.operands[i]!], [registers], {}, [], op.loc)).result;
  });
  replaceDot(op, layout, root, (accIn) => new Operation('tt.dot', [operands[0]!, operands[1]!, accIn], [withEncoding(accType, layout)], { ...op.attrs }, [], op.loc));
  return true;
}

export function accelerateMatmul(target: string): Pass {
  return {
    name: 'accelerate-matmul',
    run(module: Operation): Operation {
      const numWarps = module.attrs['ttg.num-warps'] as number;
      const arch = smOf(target);
      for (const fn of module.regions[0]!.entry.ops) {
        const dots: Operation[] = [];
        fn.walk((op) => {
          if (op.name === 'tt.dot') dots.push(op);
        });
        if (!dots.length) continue;
        const axis = new AxisAnalysis(fn);
        for (const op of dots) {
          if (arch >= 90 && toWgmma(op, numWarps, module, axis)) continue;
          toMmaSync(op, numWarps, arch, module, axis);
        }
      }
      return module;
    },
  };
}
