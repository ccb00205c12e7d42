// How much shared memory each GPU-IR op needs, shared by the allocation pass and the lowering.
import type { Operation } from '../ir/core.ts';
import { keptDims } from '../ir/layouts.ts';
import { FloatType, IntType, MemDescType, PointerType, TensorType, type ScalarType, type Type } from '../ir/types.ts';
import { classifyConversion, linearLayoutOf } from './linear-layout.ts';
import { TileMap, tileMapOf } from './tile-map.ts';

/** Bytes an element takes in shared memory (booleans take a byte). */
export function elementBytes(t: ScalarType): number {
  if (t instanceof PointerType) return 8;
  if (t instanceof IntType) return Math.max(1, t.width / 8);
  return (t as FloatType).width / 8;
}

const tileBytes = (t: TensorType | MemDescType): number => t.numel * elementBytes(t.element);

/** Bytes of a tile, or of a scalar (split of a [2] tile gives scalars, join of scalars takes them). */
const valueBytes = (t: Type): number => (t instanceof TensorType ? tileBytes(t) : elementBytes(t as ScalarType));

/** Ops that move a tile through shared memory to rearrange it. */
export const exchangeOps = new Set(['ttg.convert_layout', 'tt.reshape', 'tt.trans', 'tt.join', 'tt.split']);

const registerConversions = new Map<string, readonly number[] | undefined>();

/**
 * For a convert_layout whose elements stay in the threads that hold them (the linear layouts say so: only
 * registers move, or none), the source register of each destination register; undefined when elements cross
 * threads and go through shared memory.
 */
export function registerConversion(op: Operation): readonly number[] | undefined {
  if (op.name !== 'ttg.convert_layout') return undefined;
  const [src, dst] = [op.operands[0]!.type, op.result.type];
  if (!(src instanceof TensorType && dst instanceof TensorType && src.encoding && dst.encoding)) return undefined;
  const key = `${src.text}|${dst.text}`;
  if (!registerConversions.has(key)) {
    const c = classifyConversion(linearLayoutOf(src.encoding, src.shape), linearLayoutOf(dst.encoding, dst.shape));
    const identity = (): number[] => Array.from({ length: tileMapOf(dst.encoding!, dst.shape).numRegs }, (_, r) => r);
    registerConversions.set(key, c.kind === 'none' ? identity() : c.kind === 'registers' ? c.sourceRegisters : undefined);
  }
  return registerConversions.get(key);
}

/**
 * Scratch bytes an op needs while it runs (released when it ends), or 0. local_alloc buffers are not scratch:
 * they live until the last use of the memdesc.
 */
export function scratchBytes(op: Operation): number {
  if (registerConversion(op)) return 0;
  if (exchangeOps.has(op.name)) {
    const src = op.operands[0]!.type;
    return Math.max(valueBytes(src), ...op.results.map((r) => valueBytes(r.type)), op.name === 'tt.join' ? 2 * valueBytes(src) : 0);
  }
  if (op.name === 'tt.scan') {
    const input = op.operands[0]!.type as TensorType;
    const map = new TileMap(input.encoding!, input.shape);
    const d = keptDims(input.encoding!)[op.attrs['axis'] as number]!;
    const warps = map.uniqueWarps(d);
    // One 8-byte slot per line, warp and operand.
    return warps > 1 ? (input.numel / input.shape[op.attrs['axis'] as number]!) * warps * op.operands.length * 8 : 0;
  }
  if (op.name === 'tt.reduce') {
    const input = op.operands[0]!.type as TensorType;
    const map = new TileMap(input.encoding!, input.shape);
    const axis = op.attrs['axis'] as number;
    const d = keptDims(input.encoding!)[axis]!;
    const warps = map.uniqueWarps(d);
    if (warps <= 1) return 0;
    const lines = input.numel / input.shape[axis]!;
    return op.operands.reduce((sum, v) => sum + lines * warps * elementBytes((v.type as TensorType).element), 0);
  }
  if (op.name === 'tt.atomic_rmw' || op.name === 'tt.atomic_cas') {
    // Where the owners of elements (or the one thread doing a scalar atomic) leave the old values for the rest.
    const t = op.result.type;
    return t instanceof TensorType ? tileBytes(t) : elementBytes(t as ScalarType);
  }
  return 0;
}

/** Bytes of the buffer a ttg.local_alloc holds. */
export function allocBytes(op: Operation): number {
  return tileBytes(op.result.type as MemDescType);
}
