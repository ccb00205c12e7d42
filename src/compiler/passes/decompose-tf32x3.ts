// decompose-tf32x3: an f32 dot with inputPrecision 'tf32x3' becomes three tf32 dots, as Triton's F32DotTC
// decomposition does, so that the tensor cores give nearly f32 accuracy: each operand x is split into
// hi = x with its low 13 mantissa bits cleared (what a tf32 input keeps) and lo = x - hi (exact in f32), and
//
//   dot(a, b, acc) = dot(a.hi, b.hi, dot(a.hi, b.lo, dot(a.lo, b.hi, acc)))
//
// with every dot 'tf32' (the small terms first; a.lo * b.lo, about 2^-22 of the products, is dropped, and lo
// itself loses its bits past tf32's). It runs on the target-independent IR, so the interpreter and every GPU path
// (wgmma, mma.sync, FMA) compute the same three dots and differ only in summation order. An infinite input makes
// its lo NaN (inf - inf), as in Triton.
import { constantAttr } from '../ir/builder.ts';
import { Operation, type Value } from '../ir/core.ts';
import { FloatType, TensorType, i32, tensorType } from '../ir/types.ts';
import type { Pass } from './pass-manager.ts';

/** The f32 bits a tf32 input keeps: sign, exponent and the top 10 mantissa bits (0xffffe000). */
const TF32_MASK = -8192;

function splitTf32(x: Value, before: Operation): { hi: Value; lo: Value } {
  const t = x.type as TensorType;
  const bitsType = tensorType(t.shape, i32, t.encoding);
  const emit = (name: string, operands: Value[], type: TensorType, attrs: Operation['attrs'] = {}): Value =>
    before.parent!.insertBefore(before, new Operation(name, operands, [type], attrs, [], before.loc)).result;
  const bits = emit('tt.bitcast', [x], bitsType);
  const mask = emit('arith.constant', [], bitsType, { value: constantAttr(TF32_MASK, bitsType) });
  const hi = emit('tt.bitcast', [emit('arith.andi', [bits, mask], bitsType)], t);
  return { hi, lo: emit('arith.subf', [x, hi], t) };
}

function decompose(dot: Operation, root: Operation): void {
  const [a, b, acc] = dot.operands as [Value, Value, Value];
  const sa = splitTf32(a, dot);
  const sb = splitTf32(b, dot);
  const attrs = { ...dot.attrs, inputPrecision: 'tf32' };
  const step = (x: Value, y: Value, c: Value): Value => dot.parent!.insertBefore(dot, new Operation('tt.dot', [x, y, c], [dot.result.type], attrs, [], dot.loc)).result;
  const result = step(sa.hi, sb.hi, step(sa.hi, sb.lo, step(sa.lo, sb.hi, acc)));
  const old = dot.result;
  dot.erase();
  root.walk((u) => {
    u.operands = u.operands.map((v) => (v === old ? result : v));
  });
}

export const decomposeTf32x3Pass: Pass = {
  name: 'decompose-tf32x3',
  run(module: Operation): Operation {
    const dots: Operation[] = [];
    module.walk((op) => {
      const el = op.name === 'tt.dot' ? (op.operands[0]!.type as TensorType).element : undefined;
      if (op.attrs['inputPrecision'] === 'tf32x3' && el instanceof FloatType && el.width === 32) dots.push(op);
    });
    for (const dot of dots) decompose(dot, module);
    return module;
  },
};
