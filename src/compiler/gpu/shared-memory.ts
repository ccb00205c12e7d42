// How much shared memory each GPU-IR op needs, shared by the allocation pass and the lowering.
import type { Operation, Value } from '../ir/core.ts';
import { isBlockedRooted, keptDims } from '../ir/layouts.ts';
import { FloatType, IntType, MemDescType, PointerType, TensorType, type ScalarType, type Type } from '../ir/types.ts';
import { LANE, REGISTER, classifyConversion, linearLayoutOf } from './linear-layout.ts';
import { TileMap, tileMapOf } from './tile-map.ts';
import { linearReductionBits, reductionReps } from './lowering/reduce-scan.ts';

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

/**
 * How a convert_layout moves its elements when they stay within each warp (the linear layouts say so), as
 * Triton's conversions within a warp:
 *  - 'registers': every thread already holds its elements; destination register r is source register
 *    sourceRegisters[r] (a renaming: no instruction at all);
 *  - 'shuffle': destination register r of lane l is source register sourceRegisters[r] of lane
 *    sourceLanes[r] XOR (the XOR of laneBases[i] over the set bits i of l): one warp shuffle per register.
 *    Only when which source register a lane reads does not depend on the lane (else shared memory).
 */
export type WarpConversion =
  | { readonly kind: 'registers'; readonly sourceRegisters: readonly number[] }
  | { readonly kind: 'shuffle'; readonly sourceRegisters: readonly number[]; readonly sourceLanes: readonly number[]; readonly laneBases: readonly number[] };

const warpConversions = new Map<string, WarpConversion | undefined>();

/** A convert_layout's moves within warps, or undefined when elements cross warps (or shuffles cannot do it) and go through shared memory. */
export function warpConversion(op: Operation): WarpConversion | undefined {
  if (op.name !== 'ttg.convert_layout') return undefined;
  const [src, dst] = [op.operands[0]!.type, op.result.type];
  if (!(src instanceof TensorType && dst instanceof TensorType && src.encoding && dst.encoding)) return undefined;
  const key = `${src.text}|${dst.text}`;
  if (!warpConversions.has(key)) warpConversions.set(key, planWarpConversion(src, dst));
  return warpConversions.get(key);
}

function planWarpConversion(src: TensorType, dst: TensorType): WarpConversion | undefined {
  const c = classifyConversion(linearLayoutOf(src.encoding!, src.shape), linearLayoutOf(dst.encoding!, dst.shape));
  const registers = tileMapOf(dst.encoding!, dst.shape).numRegs;
  if (c.kind === 'none') return { kind: 'registers', sourceRegisters: Array.from({ length: registers }, (_, r) => r) };
  if (c.kind === 'registers') return { kind: 'registers', sourceRegisters: c.sourceRegisters };
  if (c.kind !== 'shuffle') return undefined;
  const map = c.map;
  const laneBits = map.inDimSize(LANE) > 1 ? Math.log2(map.inDimSize(LANE)) : 0;
  const lanes = Array.from({ length: laneBits }, (_, i) => map.apply({ [LANE]: 2 ** i }));
  // A lane bit that changes the source register would need a register chosen per lane: leave that to shared memory.
  if (lanes.some((l) => (l[REGISTER] ?? 0) !== 0)) return undefined;
  const perRegister = Array.from({ length: registers }, (_, r) => map.apply({ [REGISTER]: r }));
  return {
    kind: 'shuffle',
    sourceRegisters: perRegister.map((x) => x[REGISTER] ?? 0),
    sourceLanes: perRegister.map((x) => x[LANE] ?? 0),
    laneBases: lanes.map((l) => l[LANE] ?? 0),
  };
}

/**
 * For a convert_layout whose elements stay in the threads that hold them, the source register of each
 * destination register; undefined when elements cross threads.
 */
export function registerConversion(op: Operation): readonly number[] | undefined {
  const c = warpConversion(op);
  return c?.kind === 'registers' ? c.sourceRegisters : undefined;
}

/** An exchange whose elements go through shared memory (not a conversion within warps). */
const sharedExchange = (op: Operation): boolean => exchangeOps.has(op.name) && !warpConversion(op);

/**
 * Whether an exchange through shared memory is fused into the ones that use it: when every use of its results is
 * another such exchange in the same block, it emits nothing, and the exchanges that use it read through its map of
 * elements. A chain (join, permute, reshape: tl.cat; split, join: swapping halves) then costs one round trip through
 * shared memory, its sources written once and its last results read, where each op would cost one.
 */
export function fusedIntoUsers(op: Operation): boolean {
  const block = op.parent;
  if (!block || !sharedExchange(op)) return false;
  const results = new Set(op.results);
  let users = 0;
  let fusable = true;
  // Values are used only in their block and the regions nested in it: the ops after this one hold every use.
  for (const later of block.ops.slice(block.ops.indexOf(op) + 1)) {
    later.walk((u) => {
      if (!u.operands.some((v) => results.has(v))) return;
      users++;
      if (u !== later || !sharedExchange(u)) fusable = false;
    });
    if (!fusable) return false;
  }
  return users > 0;
}

/** What an exchange through shared memory writes there: its operands, or through exchanges fused into it theirs, each once. */
export function exchangeSources(op: Operation): Value[] {
  const sources: Value[] = [];
  const visit = (v: Value): void => {
    const def = v.definingOp;
    if (def && fusedIntoUsers(def)) def.operands.forEach(visit);
    else if (!sources.includes(v)) sources.push(v);
  };
  op.operands.forEach(visit);
  return sources;
}

/**
 * Where a reduction across warps keeps its partial results from `offset`: one buffer of `slots` elements per
 * operand, end to end, each aligned to its elements (an i32 index after u8 values); and where the last ends.
 */
export function reductionBuffers(offset: number, els: readonly ScalarType[], slots: number): { bases: number[]; end: number } {
  const bases: number[] = [];
  let at = offset;
  for (const e of els) {
    const bytes = elementBytes(e);
    at = Math.ceil(at / bytes) * bytes;
    bases.push(at);
    at += slots * bytes;
  }
  return { bases, end: at };
}

/**
 * Scratch bytes an op needs while it runs (released when it ends), or 0. local_alloc buffers are not scratch:
 * they live until the last use of the memdesc.
 */
export function scratchBytes(op: Operation): number {
  if (warpConversion(op)) return 0;
  if (exchangeOps.has(op.name)) return fusedIntoUsers(op) ? 0 : exchangeSources(op).reduce((sum, v) => sum + valueBytes(v.type), 0);
  // The source, which every thread writes for the others to read.
  if (op.name === 'tt.gather') return valueBytes(op.operands[0]!.type);
  // The bins, counted with atomic adds.
  if (op.name === 'tt.histogram') return valueBytes(op.result.type);
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
    const axis = op.attrs['axis'] as number;
    const blocked = isBlockedRooted(input.encoding!);
    const warps = blocked
      ? new TileMap(input.encoding!, input.shape).uniqueWarps(keptDims(input.encoding!)[axis]!)
      : 2 ** linearReductionBits(input.encoding!, input.shape, axis).warpBits.length;
    if (warps <= 1) return 0;
    // A line of slots per result, and per repetition of the layout when the combine is reduced in order.
    const lines = (input.numel / input.shape[axis]!) * (blocked ? reductionReps(op) : 1);
    return reductionBuffers(0, op.operands.map((v) => (v.type as TensorType).element), lines * warps).end;
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
