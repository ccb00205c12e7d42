// Lowering of tt.dot on the FMA units: operands from shared memory, a rectangle of the accumulator per thread.
import { Block, type Operation, Region, type Value } from '../../ir/core.ts';
import { FloatType, type MemDescType, type TensorType, f32, i32 } from '../../ir/types.ts';
import { F16_DOT_K_STEP } from '../../../numerics.ts';
import { elementBytes } from '../shared-memory.ts';
import type { Lowering } from './lowering.ts';

/** A dot's steps along k are unrolled up to this many (beyond, a loop). */
const MAX_UNROLLED_K = 64;

/**
 * The FMA dot: A and B are in shared memory; for each k, a thread reads A[m, k] for each of its accumulator
 * rows and B[k, n] for each of its columns, and adds their products into its accumulators.
 */
export function dot(lw: Lowering, op: Operation): void {
  const a = lw.get(op.operands[0]!) as { offset: number; type: MemDescType };
  const bm = lw.get(op.operands[1]!) as { offset: number; type: MemDescType };
  const acc = lw.tile(op.operands[2]!);
  const map = lw.blockedMap(acc.map, 'the FMA dot');
  const accType = (op.result.type as TensorType).element;
  const inEl = a.type.element;
  const K = a.type.shape[1]!;
  const [dm, dn] = [map.dims[0]!, map.dims[1]!];
  const rowsLocal = map.counts[dm]!;
  const colsLocal = map.counts[dn]!;
  // Registers of the accumulator, by (local row, local column).
  const regOf = (lm: number, ln: number): number => {
    const local = Array<number>(map.root.rank).fill(0);
    local[dm] = lm;
    local[dn] = ln;
    return map.register(local);
  };
  const rowCoord = (lm: number): Value => lw.coord(map, regOf(lm, 0), 0);
  const colCoord = (ln: number): Value => lw.coord(map, regOf(0, ln), 1);
  const tf32 = op.attrs['inputPrecision'] === 'tf32' && inEl instanceof FloatType && inEl.width === 32;
  // An f16 accumulator sums each step of F16_DOT_K_STEP products in f32 and rounds to f16 once per step, as the
  // tensor cores' f16 dots do and the interpreter computes (src/interp/codegen.ts): the products and sums are in
  // `sumType`, and `steps` carries the accumulators across a step.
  const f16Acc = accType instanceof FloatType && accType.text === 'f16';
  const sumType = f16Acc ? f32 : accType;
  const stepK = f16Acc ? Math.min(F16_DOT_K_STEP, K) : 1;
  // Tiles are powers of two, so K is a whole number of steps (a partial last step would read past K).
  if (K % stepK !== 0) throw new Error(`lowering: an f16-accumulated dot's K (${K}) is not a multiple of its step (${stepK})`);
  const toAcc = (v: Value): Value => {
    let x = v;
    if (tf32) x = lw.op1('gpu.truncate_tf32', [x], x.type);
    if (inEl !== sumType) x = lw.op1(sumType instanceof FloatType ? 'arith.extf' : 'arith.extsi', [x], sumType);
    return x;
  };
  const inBytes = elementBytes(inEl);
  // A thread's rows of A (and columns of B) come in runs of consecutive coordinates, which A's column-major
  // (B's row-major) buffer holds consecutively: read them as vectors of up to 16 bytes.
  const operand = (desc: { offset: number; type: MemDescType }, d: number, count: number, coordOf: (l: number) => Value, at: (c: Value) => (i: number) => Value): Value[] => {
    const vec = map.wraps(d) ? 1 : Math.min(map.perRep[d]!, 16 / inBytes, map.extent[d]!);
    const vals: Value[] = [];
    for (let l = 0; l < count; l += vec) {
      const idx = lw.sharedIndex(desc.type, at(coordOf(l)));
      vals.push(...lw.sharedLoad(lw.smemAddress(desc.offset, idx, inBytes), Array(vec).fill(inEl)).map(toAcc));
    }
    return vals;
  };
  /** One step along k: the products of column k of A and row k of B, added into the accumulators. */
  const step = (k: Value, accs: readonly Value[]): Value[] => {
    const aVals = operand(a, dm, rowsLocal, rowCoord, (c) => (i) => (i === 0 ? c : k));
    const bVals = operand(bm, dn, colsLocal, colCoord, (c) => (i) => (i === 0 ? k : c));
    return accs.map((c, r) => {
      const local = map.local(r);
      const x = aVals[local[dm]!]!;
      const y = bVals[local[dn]!]!;
      if (sumType instanceof FloatType) return lw.op1('math.fma', [x, y, c], sumType);
      return lw.op1('arith.addi', [c, lw.op1('arith.muli', [x, y], sumType)], sumType);
    });
  };
  /** stepK steps along k, the j-th at kAt(j), on accumulators of accType (widened for the steps' sums, rounded back once). */
  const steps = (kAt: (j: number) => Value, accs: readonly Value[]): Value[] => {
    let sums = f16Acc ? accs.map((c) => lw.op1('arith.extf', [c], f32)) : [...accs];
    for (let j = 0; j < stepK; j++) sums = step(kAt(j), sums);
    return f16Acc ? sums.map((c) => lw.op1('arith.truncf', [c], accType)) : sums;
  };
  const init = Array.from({ length: map.numRegs }, (_, r) => acc.regs[r]!);
  if (K <= MAX_UNROLLED_K) {
    // Unrolled: shared-memory addresses become constant offsets, and ptxas schedules loads across steps.
    let accs: Value[] = init;
    for (let kk = 0; kk < K; kk += stepK) accs = steps((j) => lw.c32(kk + j), accs);
    return lw.setTile(op.result, map, accs);
  }
  const body = new Block([i32, ...init.map((v) => v.type)]);
  const k0 = body.args[0]!;
  lw.b.inBlock(body, () => lw.b.create('scf.yield', steps((j) => (j ? lw.add(k0, lw.c32(j)) : k0), body.args.slice(1)), []));
  const loop = lw.b.create('scf.for', [lw.c32(0), lw.c32(K), lw.c32(stepK), ...init], init.map((v) => v.type), {}, [new Region([body])]);
  lw.setTile(op.result, map, [...loop.results]);
}
