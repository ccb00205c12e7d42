// Lowering of tt.dot on mma.sync: the accumulator in an nvidia_mma v2 layout, A and B in dot_operand registers
// (accelerate-matmul loads them from shared memory with ttg.local_load). Each warp multiplies its 16 x 8
// accumulator tiles one K step (32 bytes of the operands) at a time: one mma.sync.aligned.m16n8k<K> per tile and
// step, its A and B fragments packed into 32-bit registers (kWidth elements each).
//
// Which register holds which fragment element is read from the linear layouts rather than written down again:
// a register's coordinates at lane 0 of warp 0 name its instruction tile (the coordinates rounded down to the
// tile) and its place in the fragment (the rest, looked up in the layout of a single instruction over one warp).
// Lanes and warps only add offsets below and above the tile respectively, so this grouping holds for every
// thread.
import type { Operation, Value } from '../../ir/core.ts';
import { DotOperandLayout } from '../../ir/layouts.ts';
import { TensorType, i32 } from '../../ir/types.ts';
import { REGISTER, dotOperandToLinear, linearLayoutOf, mmaV2ToLinear, type LinearLayout } from '../linear-layout.ts';
import { mmaSyncInstruction } from '../tensor-core-instructions.ts';
import type { Lowering } from './lowering.ts';

/**
 * The registers of a tile grouped by instruction tile: for each tile origin ("row,col"), the registers in the
 * order of `fragment` (the layout of one instruction's fragment in one warp).
 */
function fragments(tile: LinearLayout, fragment: LinearLayout): Map<string, number[]> {
  const [rows, cols] = [fragment.outDimSize('dim0'), fragment.outDimSize('dim1')];
  const slotOf = new Map<string, number>();
  for (let p = 0; p < fragment.inDimSize(REGISTER); p++) {
    const c = fragment.apply({ [REGISTER]: p });
    slotOf.set(`${c['dim0']},${c['dim1']}`, p);
  }
  const groups = new Map<string, number[]>();
  for (let r = 0; r < tile.inDimSize(REGISTER); r++) {
    const c = tile.apply({ [REGISTER]: r });
    const [row, col] = [c['dim0']!, c['dim1']!];
    const key = `${row - (row % rows)},${col - (col % cols)}`;
    const slot = slotOf.get(`${row % rows},${col % cols}`);
    if (slot === undefined) throw new Error(`lowering: register ${r} of the tile is not in an mma.sync fragment`);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = []));
    group[slot] = r;
  }
  for (const [key, group] of groups) {
    if (group.length !== slotOf.size || group.includes(undefined as never)) throw new Error(`lowering: the instruction tile at ${key} is not whole in one thread's registers`);
  }
  return groups;
}

export function mmaSyncDot(lw: Lowering, op: Operation): void {
  const [aV, bV, accV] = op.operands as [Value, Value, Value];
  const [aType, bType, accType] = [aV.type, bV.type, accV.type] as [TensorType, TensorType, TensorType];
  const aEnc = aType.encoding as DotOperandLayout;
  const instr = mmaSyncInstruction(aType.element, accType.element, op.attrs['inputPrecision'] as string, Infinity);
  if (!instr || aEnc.kWidth !== instr.kWidth) throw new Error(`lowering: no mma.sync for ${aType.text} into ${accType.text}`);
  const { k, kWidth } = instr;
  const [a, b, acc] = [lw.tile(aV), lw.tile(bV), lw.tile(accV)];
  const aFrags = fragments(linearLayoutOf(aEnc, aType.shape), dotOperandToLinear([1, 1], 0, kWidth, [16, k]));
  const bFrags = fragments(linearLayoutOf(bType.encoding!, bType.shape), dotOperandToLinear([1, 1], 1, kWidth, [k, 8]));
  const cFrags = fragments(linearLayoutOf(accType.encoding!, accType.shape), mmaV2ToLinear([1, 1], [16, 8]));
  // A fragment register packs kWidth consecutive slots (elements along K); each is packed once per dot.
  const packed = new Map<string, Value[]>();
  const pack = (regs: readonly Value[], frags: Map<string, number[]>, key: string, tag: string): Value[] => {
    let out = packed.get(tag + key);
    if (!out) {
      const slots = frags.get(key);
      if (!slots) throw new Error(`lowering: no ${tag} fragment at ${key}`);
      out = [];
      for (let s = 0; s < slots.length; s += kWidth) out.push(lw.op1('gpu.pack', slots.slice(s, s + kWidth).map((r) => regs[r]!), i32));
      packed.set(tag + key, out);
    }
    return out;
  };
  const regs = [...acc.regs];
  const K = aType.shape[1]!;
  for (let k0 = 0; k0 < K; k0 += k) {
    for (const [key, slots] of cFrags) {
      const [m0, n0] = key.split(',');
      const fa = pack(a.regs, aFrags, `${m0},${k0}`, 'A');
      const fb = pack(b.regs, bFrags, `${k0},${n0}`, 'B');
      const c = slots.map((r) => regs[r]!);
      const mma = lw.b.create('gpu.mma_sync', [...fa, ...fb, ...c], c.map((v) => v.type), { k, aType: instr.type, bType: instr.type });
      slots.forEach((r, i) => (regs[r] = mma.results[i]!));
    }
  }
  lw.setTile(op.result, lw.mapOf(op.result.type), regs);
}

/** Whether a tt.dot was given to mma.sync (its operands in dot_operand registers) rather than left to the FMA units. */
export const isMmaSyncDot = (op: Operation): boolean => op.operands[0]!.type instanceof TensorType && (op.operands[0]!.type as TensorType).encoding instanceof DotOperandLayout;
