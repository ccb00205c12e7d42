// Inline PTX (tl.inlineAsmElementwise, the ops tt.elementwise_inline_asm and gpu.inline_asm): the constraint
// string, how a tile's elements travel in the asm's registers, and the substitution of $0..$n. The verifier, the
// semantic layer (for the user's errors), the GPU lowering, the PTX printer and the simulator all read these
// rules here, so that they cannot disagree.
//
// One invocation of the asm handles `pack` elements of every operand and result. An element narrower than 32
// bits shares a register with its neighbours: min(32 / bits, pack) of them, the first in the low bits (4 x i8 in
// one .b32); an element of 32 bits or more takes a register of its own. So an operand of an invocation is
// pack / elementsPerRegister registers, outputs first, in the order of the results, then inputs in the order of
// the arguments: the order of the constraints. A register wider than what it carries has zeros above it; only
// the low bits of an output register are read back.
import { FloatType, IntType, PointerType, f32, f64, i16, i32, i64, type ScalarType, type Type } from './types.ts';

/** The constraint letters kt accepts, as LLVM's NVPTX backend names them: the PTX register each one is. */
export type ConstraintLetter = 'h' | 'r' | 'l' | 'f' | 'd';

export interface AsmConstraint {
  readonly output: boolean;
  readonly letter: ConstraintLetter;
}

const letters: Readonly<Record<ConstraintLetter, { bits: number; ptx: string; ir: ScalarType }>> = {
  h: { bits: 16, ptx: '.b16', ir: i16 },
  r: { bits: 32, ptx: '.b32', ir: i32 },
  l: { bits: 64, ptx: '.b64', ir: i64 },
  f: { bits: 32, ptx: '.f32', ir: f32 },
  d: { bits: 64, ptx: '.f64', ir: f64 },
};

/** The width of the register a constraint letter names. */
export const registerBits = (letter: ConstraintLetter): number => letters[letter].bits;
/** The PTX register type of a constraint letter (.b32 for 'r'). */
export const registerPtxType = (letter: ConstraintLetter): string => letters[letter].ptx;
/** The per-thread IR type of a gpu.inline_asm operand or result with this constraint (i32 for 'r', f32 for 'f'). */
export const registerIrType = (letter: ConstraintLetter): ScalarType => letters[letter].ir;
/** Whether the letter names a float register ('f', 'd'), which must be filled exactly. */
export const isFloatRegister = (letter: ConstraintLetter): boolean => letter === 'f' || letter === 'd';

/** Parses "=r,=r,r,r": outputs (with '=') first, then inputs. Returns the constraints or what is wrong. */
export function parseConstraints(text: string): AsmConstraint[] | { error: string } {
  if (text.trim() === '') return [];
  const out: AsmConstraint[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = /^(=?)([a-z])$/.exec(item);
    if (!m || !(m[2]! in letters)) {
      return { error: `constraint '${item}' is not one kt supports: use h, r, l, f or d (16-, 32-, 64-bit integer registers, f32, f64), with '=' for outputs` };
    }
    const output = m[1] === '=';
    if (output && out.some((c) => !c.output)) return { error: `output constraint '${item}' comes after an input: outputs come first` };
    out.push({ output, letter: m[2] as ConstraintLetter });
  }
  return out;
}

/** Bits of one element of a scalar type in an asm register (pointers are 64-bit addresses); undefined for i1. */
export function elementBits(t: ScalarType): number | undefined {
  if (t instanceof PointerType) return 64;
  if (t instanceof IntType) return t.width === 1 ? undefined : t.width;
  return (t as FloatType).width;
}

/** How many elements of `bits` bits share one register in an invocation of `pack` elements. */
export const elementsPerRegister = (bits: number, pack: number): number => (bits < 32 ? Math.min(32 / bits, pack) : 1);

/** The highest $n the asm text names, or -1 ('$$' is a literal '$'). */
export function highestOperandReference(asm: string): number {
  let max = -1;
  for (const m of asm.matchAll(/\$(\$|\d+)/g)) if (m[1] !== '$') max = Math.max(max, Number(m[1]));
  return max;
}

/** The asm text with each $i replaced by names[i] and '$$' by '$'. */
export function substituteOperands(asm: string, names: readonly string[]): string {
  return asm.replace(/\$(\$|\d+)/g, (_, ref: string) => (ref === '$' ? '$' : names[Number(ref)]!));
}

/**
 * Checks a tt.elementwise_inline_asm's asm, constraints and pack against the element types of its results and
 * operands; returns what is wrong, or undefined.
 */
/** tt.elementwise_inline_asm's operand and result counts, and gpu.inline_asm's registers of each kind (ops.ts). */
export const MAX_ARGUMENTS = 32;
export const MAX_RESULTS = 16;
export const MAX_REGISTERS = 64;

export function checkInlineAsm(asm: string, constraintText: string, pack: number, results: readonly ScalarType[], operands: readonly ScalarType[]): string | undefined {
  if (!Number.isInteger(pack) || pack < 1) return `pack must be a positive integer, got ${pack}`;
  if (results.length === 0) return 'the asm must produce at least one result (a dtype)';
  // The ops' operand and result counts (ops.ts): tt.elementwise_inline_asm's, and gpu.inline_asm's registers below.
  if (operands.length > MAX_ARGUMENTS || results.length > MAX_RESULTS) return `the asm takes at most ${MAX_ARGUMENTS} arguments and gives at most ${MAX_RESULTS} results, and this one has ${operands.length} and ${results.length}`;
  const parsed = parseConstraints(constraintText);
  if ('error' in parsed) return parsed.error;
  const slots = (types: readonly ScalarType[], what: string): { regs: { t: ScalarType; bits: number; index: number }[] } | { error: string } => {
    const regs: { t: ScalarType; bits: number; index: number }[] = [];
    for (const [index, t] of types.entries()) {
      const bits = elementBits(t);
      if (bits === undefined) return { error: `${what} ${index} is boolean (i1), which has no asm register: convert it to an integer dtype first` };
      const per = elementsPerRegister(bits, pack);
      if (pack % per !== 0) return { error: `pack ${pack} does not split into whole registers of ${32 / bits} ${t.text} elements (${what} ${index})` };
      for (let k = 0; k < pack / per; k++) regs.push({ t, bits: bits * per, index });
    }
    return { regs };
  };
  const outs = slots(results, 'result');
  if ('error' in outs) return outs.error;
  const ins = slots(operands, 'argument');
  if ('error' in ins) return ins.error;
  if (outs.regs.length > MAX_REGISTERS || ins.regs.length > MAX_REGISTERS) {
    return `pack ${pack} needs ${ins.regs.length} input and ${outs.regs.length} output registers per invocation, and an invocation takes at most ${MAX_REGISTERS} of each: use a smaller pack`;
  }
  const nOut = parsed.filter((c) => c.output).length;
  const nIn = parsed.length - nOut;
  const describe = (regs: readonly unknown[], n: number, what: string): string => `${regs.length} ${what} register${regs.length === 1 ? '' : 's'} per invocation (pack ${pack}), but the constraints have ${n}`;
  if (nOut !== outs.regs.length) return `the results need ${describe(outs.regs, nOut, 'output')}`;
  if (nIn !== ins.regs.length) return `the arguments need ${describe(ins.regs, nIn, 'input')}`;
  const all = [...outs.regs, ...ins.regs];
  for (const [i, c] of parsed.entries()) {
    const { t, bits, index } = all[i]!;
    const width = registerBits(c.letter);
    const what = `$${i} (${i < nOut ? 'result' : 'argument'} ${index}, ${t.text})`;
    if (isFloatRegister(c.letter) ? bits !== width : bits > width) {
      return `${what} carries ${bits} bits per register, which do not ${isFloatRegister(c.letter) ? 'fill' : 'fit'} constraint '${c.letter}' (${width}-bit ${registerPtxType(c.letter)})`;
    }
  }
  const highest = highestOperandReference(asm);
  if (highest >= parsed.length) return `the asm names $${highest}, but there are only ${parsed.length} operands ($0 to $${parsed.length - 1})`;
  return undefined;
}

/** Checks a gpu.inline_asm (registers already packed): one constraint per result, then per operand, of its type. */
export function checkRegisterOperands(asm: string, constraintText: string, results: readonly Type[], operands: readonly Type[]): string | undefined {
  const parsed = parseConstraints(constraintText);
  if ('error' in parsed) return parsed.error;
  const outs = parsed.filter((c) => c.output);
  if (outs.length !== results.length || parsed.length - outs.length !== operands.length) {
    return `constraints give ${outs.length} outputs and ${parsed.length - outs.length} inputs, but the op has ${results.length} results and ${operands.length} operands`;
  }
  const all = [...results, ...operands];
  for (const [i, c] of parsed.entries()) {
    if (all[i] !== registerIrType(c.letter)) return `$${i} has type ${all[i]!.text}, but constraint '${c.letter}' is ${registerIrType(c.letter).text}`;
  }
  const highest = highestOperandReference(asm);
  return highest >= parsed.length ? `the asm names $${highest}, but there are only ${parsed.length} operands` : undefined;
}
