// Lowering of tt.elementwise_inline_asm: the thread's registers of the tile, `pack` at a time, packed into the
// asm's registers as src/compiler/ir/inline-asm.ts lays them out (narrow elements side by side, the first in the
// low bits), one gpu.inline_asm per invocation, and its output registers unpacked into the result tiles. A thread
// whose register count is not a multiple of `pack` fills its last invocation with copies of that invocation's
// first element and drops what comes back for them (Triton pads with undefined values, which asm that loads
// through a pointer or divides cannot take).
import type { Operation, Value } from '../../ir/core.ts';
import { elementBits, elementsPerRegister, isFloatRegister, parseConstraints, registerBits, registerIrType, type AsmConstraint, type ConstraintLetter } from '../../ir/inline-asm.ts';
import { FloatType, IntType, PointerType, TensorType, elementType, intType, type ScalarType } from '../../ir/types.ts';
import type { Lowering, Lowered } from './lowering.ts';

export function inlineAsm(lw: Lowering, op: Operation): void {
  const pack = op.attrs['packed_element'] as number;
  const constraints = parseConstraints(op.attrs['constraints'] as string) as AsmConstraint[];
  const outputs = constraints.filter((c) => c.output).map((c) => c.letter);
  const inputs = constraints.filter((c) => !c.output).map((c) => c.letter);
  const first = op.results[0]!;
  const map = first.type instanceof TensorType ? lw.mapOf(first.type) : undefined;
  const numRegs = map ? map.numRegs : 1;
  const args = op.operands.map((v) => lw.get(v));
  const elementAt = (a: Lowered, r: number): Value => (a.kind === 'scalar' ? a.v : a.kind === 'tile' ? a.regs[r]! : unreachable('a shared-memory operand'));
  const results: Value[][] = op.results.map(() => []);
  for (let base = 0; base < numRegs; base += pack) {
    let slot = 0;
    const packed = op.operands.flatMap((v, i) => {
      const el = elementType(v.type);
      const bits = elementBits(el)!;
      const per = elementsPerRegister(bits, pack);
      const regs: Value[] = [];
      for (let k = 0; k < pack; k += per) {
        // Past the thread's last element, the invocation's first element again: a value the asm can take (a
        // pointer that loads, a divisor that is not 0), whose results are dropped.
        const elements = Array.from({ length: per }, (_, j) => toBits(lw, elementAt(args[i]!, base + k + j < numRegs ? base + k + j : base), el));
        regs.push(packRegister(lw, elements, bits, inputs[slot++]!));
      }
      return regs;
    });
    const call = lw.b.create('gpu.inline_asm', packed, outputs.map(registerIrType), { asm_string: op.attrs['asm_string']!, constraints: op.attrs['constraints']!, pure: op.attrs['pure']! });
    let out = 0;
    op.results.forEach((res, i) => {
      const el = elementType(res.type);
      const bits = elementBits(el)!;
      const per = elementsPerRegister(bits, pack);
      for (let k = 0; k < pack; k += per) {
        const letter = outputs[out]!;
        const elements = unpackRegister(lw, call.results[out++]!, letter, bits, per);
        elements.forEach((e, j) => {
          if (base + k + j < numRegs) results[i]!.push(fromBits(lw, e, el));
        });
      }
    });
  }
  op.results.forEach((res, i) => {
    if (map) lw.setTile(res, map, results[i]!);
    else lw.values.set(res, { kind: 'scalar', v: results[i]![0]! });
  });
}

function unreachable(what: string): never {
  throw new Error(`lowering: tt.elementwise_inline_asm on ${what}`);
}

/** An element's bits as an integer of its width (floats bitcast, pointers as their 64-bit address). */
function toBits(lw: Lowering, v: Value, el: ScalarType): Value {
  if (el instanceof PointerType) return lw.op1('tt.ptr_to_int', [v], intType(64));
  if (el instanceof FloatType) return lw.op1('tt.bitcast', [v], intType(el.width));
  return v;
}

/** The element of type `el` whose bits an integer of its width holds. */
function fromBits(lw: Lowering, v: Value, el: ScalarType): Value {
  if (el instanceof PointerType) return lw.op1('tt.int_to_ptr', [v], el);
  if (el instanceof FloatType) return lw.op1('tt.bitcast', [v], el);
  return v;
}

/** Elements of `bits` bits side by side in one register of the constraint's type, the first in the low bits, zeros above. */
function packRegister(lw: Lowering, elements: readonly Value[], bits: number, letter: ConstraintLetter): Value {
  const width = registerBits(letter);
  const word = intType(width);
  let acc: Value | undefined;
  elements.forEach((e, j) => {
    const wide = bits < width ? lw.op1('arith.extui', [e], word) : e;
    const placed = j === 0 ? wide : lw.op1('arith.shli', [wide, lw.constant(j * bits, word)], word);
    acc = acc ? lw.op1('arith.ori', [acc, placed], word) : placed;
  });
  return isFloatRegister(letter) ? lw.op1('tt.bitcast', [acc!], registerIrType(letter)) : acc!;
}

/** The `per` elements of `bits` bits in an output register, from the low bits up, as integers of their width. */
function unpackRegister(lw: Lowering, reg: Value, letter: ConstraintLetter, bits: number, per: number): Value[] {
  const width = registerBits(letter);
  const word = intType(width);
  const asInt = isFloatRegister(letter) ? lw.op1('tt.bitcast', [reg], word) : reg;
  return Array.from({ length: per }, (_, j) => {
    const shifted = j === 0 ? asInt : lw.op1('arith.shrui', [asInt, lw.constant(j * bits, word)], word);
    return bits < width ? lw.op1('arith.trunci', [shifted], intType(bits) as IntType) : shifted;
  });
}
