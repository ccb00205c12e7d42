// The mma.sync instructions kt emits, as records: for each operand element type, what one instruction covers
// and how its fragments pack (a tensor core is a record plus one instruction). accelerate-matmul asks whether a
// dot has one; the lowering reads its shape and names from the same record.
import type { ScalarType } from '../ir/types.ts';

export interface MmaSyncInstruction {
  /** The K of mma.sync.aligned.m16n8k<K>: 32 bytes of the operand type. */
  readonly k: number;
  /** PTX's name for the operand type. */
  readonly type: 'f16' | 'bf16' | 'tf32' | 's8' | 'e4m3' | 'e5m2';
  /** Elements of an operand one 32-bit fragment register packs along K (the dot_operand layout's kWidth). */
  readonly kWidth: 1 | 2 | 4;
  /** The accumulator element type kt uses with it. */
  readonly acc: 'f32' | 'i32';
  /** The oldest architecture that has it (sm_80; fp8 from sm_89). */
  readonly minArch: number;
}

const byElement: Readonly<Record<string, MmaSyncInstruction>> = {
  f16: { k: 16, type: 'f16', kWidth: 2, acc: 'f32', minArch: 80 },
  bf16: { k: 16, type: 'bf16', kWidth: 2, acc: 'f32', minArch: 80 },
  f32: { k: 8, type: 'tf32', kWidth: 1, acc: 'f32', minArch: 80 },
  i8: { k: 32, type: 's8', kWidth: 4, acc: 'i32', minArch: 80 },
  f8E4M3FN: { k: 32, type: 'e4m3', kWidth: 4, acc: 'f32', minArch: 89 },
  f8E5M2: { k: 32, type: 'e5m2', kWidth: 4, acc: 'f32', minArch: 89 },
};

/**
 * The mma.sync for a dot of `element` operands into `acc`, on architecture `arch`, or undefined: f32 operands
 * only as tf32 (inputPrecision 'tf32'; 'ieee' stays exact on the FMA units, 'tf32x3' was split into tf32 dots
 * before), and f16 accumulators
 * not at all (they stay on the FMA units, as with wgmma).
 */
export function mmaSyncInstruction(element: ScalarType, acc: ScalarType, inputPrecision: string, arch: number): MmaSyncInstruction | undefined {
  const instr = byElement[element.text];
  if (!instr || arch < instr.minArch || acc.text !== instr.acc) return undefined;
  if (instr.type === 'tf32' && inputPrecision !== 'tf32') return undefined;
  return instr;
}

/** The instruction record by PTX type name (the lowering's attribute). */
export function mmaSyncByType(type: string): MmaSyncInstruction {
  const instr = Object.values(byElement).find((i) => i.type === type);
  if (!instr) throw new Error(`no mma.sync for ${type} operands`);
  return instr;
}
