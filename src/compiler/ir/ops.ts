// The op registry: every op the IR knows, as data (arity, attributes, traits) plus a type verifier.
// The verifier, the passes (which ops are pure, commutative, terminators) and the backends all read it,
// so an op's contract is written once, here.
import { DenseAttr, FloatAttr, IntegerAttr, SymbolRefAttr, TypeAttr, type Attribute } from './attributes.ts';
import type { Operation, Value } from './core.ts';
import { MAX_ARGUMENTS, MAX_REGISTERS, MAX_RESULTS, checkInlineAsm, checkRegisterOperands } from './inline-asm.ts';
import { NvidiaMmaLayout, SharedEncoding } from './layouts.ts';
import {
  FloatType,
  FunctionType,
  IntType,
  MemDescType,
  PointerType,
  TensorType,
  elementType,
  i1,
  i32,
  i64,
  isFloatLike,
  isIntLike,
  isPointerLike,
  shapeOf,
  tensorType,
  withElement,
  withEncoding,
  type Type,
} from './types.ts';

export type Trait =
  /** No side effects: removable when unused, mergeable by CSE. */
  | 'pure'
  | 'terminator'
  | 'commutative'
  /** Result element i depends only on operand element i (operands and results share one shape). */
  | 'elementwise'
  | 'readsMemory'
  | 'writesMemory';

type AttrKind = 'int' | 'bool' | 'string' | 'typed' | 'type' | 'symbol' | 'ints' | readonly string[];
type Arity = number | readonly [number, number];

/** Whether t is a tensor of this shape and element type, in any layout (GPU IR types carry one). */
const hasShape = (t: Type, shape: readonly number[], element: Type): boolean => t instanceof TensorType && t.element === element && t.shape.join() === shape.join();

export interface OpDef {
  readonly name: string;
  readonly summary: string;
  readonly traits: readonly Trait[];
  readonly operands: Arity;
  readonly results: Arity;
  readonly regions?: Arity;
  /** Attribute name -> kind; a name ending in '?' is optional. */
  readonly attrs?: Readonly<Record<string, AttrKind>>;
  /** Returns what is wrong with the op's types, or undefined. */
  readonly verify?: (op: Operation) => string | undefined;
}

const registry = new Map<string, OpDef>();

export function getOpDef(name: string): OpDef | undefined {
  return registry.get(name);
}

export function hasTrait(op: Operation, trait: Trait): boolean {
  return registry.get(op.name)?.traits.includes(trait) ?? false;
}

export function allOpDefs(): readonly OpDef[] {
  return [...registry.values()];
}

function def(d: OpDef): void {
  registry.set(d.name, d);
}

// ---- type predicates used by the verifiers ----------------------------------------------------------

const sameShape = (a: Type, b: Type): boolean => {
  const sa = shapeOf(a);
  const sb = shapeOf(b);
  return sa.length === sb.length && sa.every((d, i) => d === sb[i]) && a instanceof TensorType === b instanceof TensorType;
};
const t = (v: Value): Type => v.type;
const isBoolLike = (ty: Type): boolean => elementType(ty) === i1;

function allSameType(op: Operation): string | undefined {
  const ty = op.results[0]?.type ?? op.operands[0]!.type;
  for (const v of [...op.operands, ...op.results]) {
    if (v.type !== ty) return `expects all operands and results to have one type, got ${v.type.text} and ${ty.text}`;
  }
  return undefined;
}

const intBinary = (op: Operation): string | undefined =>
  allSameType(op) ?? (isIntLike(t(op.operands[0]!)) ? undefined : 'expects integer operands');
const floatBinary = (op: Operation): string | undefined =>
  allSameType(op) ?? (isFloatLike(t(op.operands[0]!)) ? undefined : 'expects floating-point operands');

function castOp(check: (from: Type, to: Type) => string | undefined) {
  return (op: Operation): string | undefined => {
    const from = t(op.operands[0]!);
    const to = op.result.type;
    if (!sameShape(from, to)) return `cannot change shape in a cast (${from.text} to ${to.text})`;
    return check(elementType(from), elementType(to));
  };
}
const width = (ty: Type): number => (ty instanceof IntType || ty instanceof FloatType ? ty.width : 64);

// ---- arith ------------------------------------------------------------------------------------------

def({
  name: 'arith.constant',
  summary: 'A scalar constant, or a tensor whose elements all equal one value.',
  traits: ['pure'],
  operands: 0,
  results: 1,
  attrs: { value: 'typed' },
  verify: (op) => {
    const v = op.attrs['value'];
    const want = v instanceof DenseAttr ? v.type : v instanceof IntegerAttr || v instanceof FloatAttr ? v.type : undefined;
    // The value's type carries no layout: a GPU IR constant differs from it only by its encoding.
    const rt = op.result.type;
    const plain = rt instanceof TensorType ? withEncoding(rt, undefined) : rt;
    return want === plain ? undefined : `value's type ${want?.text} differs from the result type ${op.result.type.text}`;
  },
});

const intArith: [string, string, Trait[]][] = [
  ['addi', 'Integer addition, wrapping.', ['commutative']],
  ['subi', 'Integer subtraction, wrapping.', []],
  ['muli', 'Integer multiplication, low half, wrapping.', ['commutative']],
  ['divsi', 'Signed integer division rounding toward zero (C semantics).', []],
  ['divui', 'Unsigned integer division.', []],
  ['remsi', 'Signed remainder with the sign of the dividend (C semantics).', []],
  ['remui', 'Unsigned remainder.', []],
  ['andi', 'Bitwise and.', ['commutative']],
  ['ori', 'Bitwise or.', ['commutative']],
  ['xori', 'Bitwise exclusive or.', ['commutative']],
  ['shli', 'Shift left.', []],
  ['shrsi', 'Arithmetic shift right.', []],
  ['shrui', 'Logical shift right.', []],
  ['maxsi', 'Signed maximum.', ['commutative']],
  ['maxui', 'Unsigned maximum.', ['commutative']],
  ['minsi', 'Signed minimum.', ['commutative']],
  ['minui', 'Unsigned minimum.', ['commutative']],
];
for (const [n, summary, extra] of intArith) {
  def({ name: `arith.${n}`, summary, traits: ['pure', 'elementwise', ...extra], operands: 2, results: 1, verify: intBinary });
}

const floatArith: [string, string, Trait[]][] = [
  ['addf', 'Floating-point addition, rounded to nearest even.', ['commutative']],
  ['subf', 'Floating-point subtraction.', []],
  ['mulf', 'Floating-point multiplication.', ['commutative']],
  ['divf', 'Floating-point division.', []],
  ['remf', 'Floating-point remainder with the sign of the dividend (C fmod).', []],
  ['maximumf', 'Maximum; NaN if either operand is NaN.', ['commutative']],
  ['minimumf', 'Minimum; NaN if either operand is NaN.', ['commutative']],
  ['maxnumf', 'Maximum; the other operand if one is NaN.', ['commutative']],
  ['minnumf', 'Minimum; the other operand if one is NaN.', ['commutative']],
];
for (const [n, summary, extra] of floatArith) {
  def({ name: `arith.${n}`, summary, traits: ['pure', 'elementwise', ...extra], operands: 2, results: 1, verify: floatBinary });
}

def({
  name: 'arith.negf',
  summary: 'Floating-point negation.',
  traits: ['pure', 'elementwise'],
  operands: 1,
  results: 1,
  verify: floatBinary,
});

export const intPredicates = ['eq', 'ne', 'slt', 'sle', 'sgt', 'sge', 'ult', 'ule', 'ugt', 'uge'] as const;
export const floatPredicates = ['oeq', 'ogt', 'oge', 'olt', 'ole', 'one', 'ord', 'ueq', 'ugt', 'uge', 'ult', 'ule', 'une', 'uno'] as const;

function compare(kind: 'int' | 'float') {
  return (op: Operation): string | undefined => {
    const [a, b] = op.operands as [Value, Value];
    if (a.type !== b.type) return `operands differ in type: ${a.type.text} and ${b.type.text}`;
    const ok = kind === 'int' ? isIntLike(a.type) || isPointerLike(a.type) : isFloatLike(a.type);
    if (!ok) return `expects ${kind === 'int' ? 'integer' : 'floating-point'} operands, got ${a.type.text}`;
    return op.result.type === withElement(a.type, i1) ? undefined : `result must be ${withElement(a.type, i1).text}`;
  };
}
def({
  name: 'arith.cmpi',
  summary: 'Integer comparison; the predicate says signed (s) or unsigned (u).',
  traits: ['pure', 'elementwise'],
  operands: 2,
  results: 1,
  attrs: { predicate: intPredicates },
  verify: compare('int'),
});
def({
  name: 'arith.cmpf',
  summary: 'Floating-point comparison; ordered (o) predicates are false on NaN, unordered (u) true.',
  traits: ['pure', 'elementwise'],
  operands: 2,
  results: 1,
  attrs: { predicate: floatPredicates },
  verify: compare('float'),
});
def({
  name: 'arith.select',
  summary: 'Elementwise choice: the second operand where the condition is true, else the third.',
  traits: ['pure', 'elementwise'],
  operands: 3,
  results: 1,
  verify: (op) => {
    const [c, a, b] = op.operands as [Value, Value, Value];
    if (a.type !== b.type || a.type !== op.result.type) return `branches and result must share one type`;
    if (!isBoolLike(c.type)) return `condition must be i1, got ${c.type.text}`;
    if (c.type instanceof TensorType && !sameShape(c.type, a.type)) return `condition shape differs from the values'`;
    return undefined;
  },
});

const casts: [string, string, (from: Type, to: Type) => string | undefined][] = [
  ['arith.extsi', 'Sign-extends an integer.', (a, b) => (a instanceof IntType && b instanceof IntType && b.width > a.width ? undefined : 'expects a wider integer result')],
  ['arith.extui', 'Zero-extends an integer.', (a, b) => (a instanceof IntType && b instanceof IntType && b.width > a.width ? undefined : 'expects a wider integer result')],
  ['arith.trunci', 'Truncates an integer, keeping the low bits.', (a, b) => (a instanceof IntType && b instanceof IntType && b.width < a.width ? undefined : 'expects a narrower integer result')],
  ['arith.extf', 'Widens a float exactly.', (a, b) => (a instanceof FloatType && b instanceof FloatType && b.width > a.width ? undefined : 'expects a wider float result')],
  ['arith.truncf', 'Narrows a float, rounding to nearest even (or to another float type of the same width).', (a, b) => (a instanceof FloatType && b instanceof FloatType && b.width <= a.width && a !== b ? undefined : 'expects a narrower float result')],
  ['arith.sitofp', 'Converts a signed integer to the nearest float.', (a, b) => (a instanceof IntType && b instanceof FloatType ? undefined : 'expects integer to float')],
  ['arith.uitofp', 'Converts an unsigned integer to the nearest float.', (a, b) => (a instanceof IntType && b instanceof FloatType ? undefined : 'expects integer to float')],
  ['arith.fptosi', 'Converts a float to a signed integer, rounding toward zero and saturating; NaN gives 0.', (a, b) => (a instanceof FloatType && b instanceof IntType ? undefined : 'expects float to integer')],
  ['arith.fptoui', 'Converts a float to an unsigned integer, rounding toward zero and saturating; NaN gives 0.', (a, b) => (a instanceof FloatType && b instanceof IntType ? undefined : 'expects float to integer')],
  ['tt.bitcast', 'Reinterprets the bits as another type of the same width (pointers: another pointee).', (a, b) => (width(a) === width(b) && (a instanceof PointerType) === (b instanceof PointerType) ? undefined : 'expects types of one bit width')],
  ['tt.ptr_to_int', 'The address of a pointer, as an i64.', (a, b) => (a instanceof PointerType && b instanceof IntType && b.width === 64 ? undefined : 'expects pointer to i64')],
  ['tt.int_to_ptr', 'An i64 address, as a pointer.', (a, b) => (a instanceof IntType && a.width === 64 && b instanceof PointerType ? undefined : 'expects i64 to pointer')],
];
for (const [name, summary, check] of casts) {
  if (name === 'arith.truncf') continue; // below, with its rounding mode
  def({ name, summary, traits: ['pure', 'elementwise'], operands: 1, results: 1, verify: castOp(check) });
}

/** The rounding modes of arith.truncf (tl.cast's fpDowncastRounding): to nearest even (the default), toward zero. */
export const floatRoundingModes = ['rtne', 'rtz'] as const;
{
  const [name, summary, check] = casts.find(([n]) => n === 'arith.truncf')!;
  const verifyTypes = castOp(check);
  def({
    name,
    summary: `${summary} With rounding = "rtz", rounds toward zero instead (to a narrower type only).`,
    traits: ['pure', 'elementwise'],
    operands: 1,
    results: 1,
    attrs: { 'rounding?': floatRoundingModes },
    verify: (op) => {
      const problem = verifyTypes(op);
      if (problem || op.attrs['rounding'] !== 'rtz') return problem;
      const [from, to] = [elementType(t(op.operands[0]!)), elementType(op.result.type)] as [FloatType, FloatType];
      return to.width < from.width ? undefined : `rounding "rtz" needs a narrower result (${from.text} to ${to.text} keeps the width)`;
    },
  });
}

def({
  name: 'tt.mulhiui',
  summary: 'High half of the unsigned product of two integers.',
  traits: ['pure', 'elementwise', 'commutative'],
  operands: 2,
  results: 1,
  verify: intBinary,
});

// ---- math -------------------------------------------------------------------------------------------

const unaryMath: [string, string][] = [
  ['exp', 'e to the power x.'],
  ['exp2', '2 to the power x.'],
  ['log', 'Natural logarithm.'],
  ['log2', 'Base-2 logarithm.'],
  ['sqrt', 'Square root, rounded to nearest.'],
  ['rsqrt', 'Reciprocal square root.'],
  ['absf', 'Absolute value of a float.'],
  ['sin', 'Sine (radians).'],
  ['cos', 'Cosine (radians).'],
  ['tanh', 'Hyperbolic tangent.'],
  ['floor', 'Largest integral value not above x.'],
  ['ceil', 'Smallest integral value not below x.'],
  ['erf', 'The error function.'],
  ['log1p', 'log(1 + x), accurate for x near 0.'],
];
for (const [n, summary] of unaryMath) {
  def({ name: `math.${n}`, summary, traits: ['pure', 'elementwise'], operands: 1, results: 1, verify: floatBinary });
}
def({
  name: 'math.absi',
  summary: 'Absolute value of a signed integer (wrapping at the minimum).',
  traits: ['pure', 'elementwise'],
  operands: 1,
  results: 1,
  verify: intBinary,
});
def({
  name: 'math.fma',
  summary: 'a * b + c with a single rounding.',
  traits: ['pure', 'elementwise'],
  operands: 3,
  results: 1,
  verify: floatBinary,
});

// ---- tt: program model, shapes ----------------------------------------------------------------------

for (const [name, summary] of [
  ['tt.get_program_id', "This program's index along an axis of the launch grid."],
  ['tt.get_num_programs', 'The launch grid size along an axis.'],
] as const) {
  def({
    name,
    summary,
    traits: ['pure'],
    operands: 0,
    results: 1,
    attrs: { axis: 'int' },
    verify: (op) => {
      const axis = op.attrs['axis'] as number;
      if (axis < 0 || axis > 2) return `axis must be 0, 1 or 2, got ${axis}`;
      return op.result.type === i32 ? undefined : 'result must be i32';
    },
  });
}

def({
  name: 'tt.make_range',
  summary: 'The tensor [start, start+1, ..., end-1] of i32; end - start is a power of two.',
  traits: ['pure'],
  operands: 0,
  results: 1,
  attrs: { start: 'int', end: 'int' },
  verify: (op) => {
    const start = op.attrs['start'] as number;
    const end = op.attrs['end'] as number;
    const n = end - start;
    if (n <= 0 || (n & (n - 1)) !== 0) return `end - start must be a positive power of two, got ${n}`;
    const rt = op.result.type;
    return rt instanceof TensorType && rt.shape.length === 1 && rt.shape[0] === n && rt.element === i32
      ? undefined
      : `result must be tensor<${n}xi32>`;
  },
});

def({
  name: 'tt.splat',
  summary: 'A tensor with every element equal to a scalar.',
  traits: ['pure'],
  operands: 1,
  results: 1,
  verify: (op) => {
    const rt = op.result.type;
    const src = op.operands[0]!.type;
    return rt instanceof TensorType && !(src instanceof TensorType) && rt.element === src
      ? undefined
      : `expects a scalar of the result's element type (${src.text} -> ${rt.text})`;
  },
});

def({
  name: 'tt.broadcast',
  summary: 'Repeats a tensor along its dimensions of size 1 to reach the result shape.',
  traits: ['pure'],
  operands: 1,
  results: 1,
  verify: (op) => {
    const src = op.operands[0]!.type;
    const dst = op.result.type;
    if (!(src instanceof TensorType && dst instanceof TensorType)) return 'expects tensors';
    if (src.element !== dst.element) return 'cannot change the element type';
    if (src.shape.length !== dst.shape.length) return 'expects operand and result of one rank';
    for (let i = 0; i < src.shape.length; i++) {
      if (src.shape[i] !== dst.shape[i] && src.shape[i] !== 1) return `dimension ${i} of size ${src.shape[i]} cannot broadcast to ${dst.shape[i]}`;
    }
    return undefined;
  },
});

def({
  name: 'tt.expand_dims',
  summary: 'Inserts a dimension of size 1 at `axis`.',
  traits: ['pure'],
  operands: 1,
  results: 1,
  attrs: { axis: 'int' },
  verify: (op) => {
    const src = op.operands[0]!.type;
    const dst = op.result.type;
    const axis = op.attrs['axis'] as number;
    if (!(src instanceof TensorType && dst instanceof TensorType)) return 'expects tensors';
    const want = [...src.shape];
    want.splice(axis, 0, 1);
    return dst.element === src.element && want.join('x') === dst.shape.join('x') ? undefined : `result must have shape ${want.join('x')}`;
  },
});

def({
  name: 'tt.reshape',
  summary: 'The same elements in row-major order under another shape.',
  traits: ['pure'],
  operands: 1,
  results: 1,
  attrs: { 'allow_reorder?': 'bool' },
  verify: (op) => {
    const src = op.operands[0]!.type;
    const dst = op.result.type;
    if (!(src instanceof TensorType && dst instanceof TensorType)) return 'expects tensors';
    if (src.element !== dst.element) return 'cannot change the element type';
    return src.numel === dst.numel ? undefined : `cannot reshape ${src.numel} elements into ${dst.numel}`;
  },
});

def({
  name: 'tt.trans',
  summary: 'Permutes the dimensions: result dimension i is operand dimension order[i].',
  traits: ['pure'],
  operands: 1,
  results: 1,
  attrs: { order: 'ints' },
  verify: (op) => {
    const src = op.operands[0]!.type;
    const dst = op.result.type;
    const order = op.attrs['order'] as number[];
    if (!(src instanceof TensorType && dst instanceof TensorType)) return 'expects tensors';
    if ([...order].sort().join() !== src.shape.map((_, i) => i).join()) return `order ${order.join(',')} is not a permutation`;
    return order.every((o, i) => dst.shape[i] === src.shape[o]) && dst.element === src.element ? undefined : 'result shape does not match the permutation';
  },
});

def({
  name: 'tt.join',
  summary: 'Stacks two tensors of one type along a new last dimension of size 2.',
  traits: ['pure'],
  operands: 2,
  results: 1,
  verify: (op) => {
    const [a, b] = op.operands as [Value, Value];
    const dst = op.result.type;
    if (a.type !== b.type) return 'operands must share one type';
    if (!(dst instanceof TensorType)) return 'result must be a tensor';
    const want = [...shapeOf(a.type), 2];
    return hasShape(dst, want, elementType(a.type)) ? undefined : `result must be ${tensorType(want, elementType(a.type)).text}`;
  },
});

def({
  name: 'tt.split',
  summary: 'Splits a tensor whose last dimension is 2 into its two halves.',
  traits: ['pure'],
  operands: 1,
  results: 2,
  verify: (op) => {
    const src = op.operands[0]!.type;
    if (!(src instanceof TensorType) || src.shape[src.shape.length - 1] !== 2) return 'operand must be a tensor whose last dimension is 2';
    const half = src.shape.slice(0, -1);
    const want = half.length ? tensorType(half, src.element) : src.element;
    return op.results.every((r) => (half.length ? hasShape(r.type, half, src.element) : r.type === want)) ? undefined : `results must be ${want.text}`;
  },
});

def({
  name: 'tt.gather',
  summary: "The source's elements along `axis` at the positions of an i32 index tile, taken modulo the axis size; the result has the index's shape (which is the source's but along `axis`).",
  traits: ['pure'],
  operands: 2,
  results: 1,
  attrs: { axis: 'int' },
  verify: (op) => {
    const [src, index] = op.operands.map((v) => v.type);
    const dst = op.result.type;
    const axis = op.attrs['axis'] as number;
    if (!(src instanceof TensorType && index instanceof TensorType && dst instanceof TensorType)) return 'expects tensors';
    if (index.element !== i32) return `the index must be i32, got ${index.text}`;
    if (index.shape.length !== src.shape.length) return 'the source and the index must have one rank';
    if (axis < 0 || axis >= src.shape.length) return `axis ${axis} out of range for ${src.text}`;
    if (src.shape.some((d, i) => i !== axis && d !== index.shape[i])) return 'the index must have the shape of the source but along the axis';
    return hasShape(dst, index.shape, src.element) ? undefined : `result must be ${tensorType(index.shape, src.element).text}`;
  },
});

def({
  name: 'tt.histogram',
  summary: 'Counts, for each bin b of the result (an i32 tile [numBins]), the elements of a 1-D i32 tile equal to b where the mask holds; elements outside [0, numBins) are not counted.',
  traits: ['pure'],
  operands: 2,
  results: 1,
  verify: (op) => {
    const [input, mask] = op.operands.map((v) => v.type);
    const dst = op.result.type;
    if (!(input instanceof TensorType) || input.shape.length !== 1 || input.element !== i32) return 'expects a 1-D i32 tile';
    if (!(mask instanceof TensorType) || mask.element !== i1 || mask.shape.join() !== input.shape.join()) return 'the mask must be an i1 tile of the input\'s shape';
    return dst instanceof TensorType && dst.shape.length === 1 && dst.element === i32 ? undefined : 'result must be a 1-D i32 tile';
  },
});

// ---- tt: memory -------------------------------------------------------------------------------------

def({
  name: 'tt.addptr',
  summary: 'Advances pointers by an element offset (scaled by the pointee size).',
  traits: ['pure', 'elementwise'],
  operands: 2,
  results: 1,
  verify: (op) => {
    const [p, off] = op.operands as [Value, Value];
    if (!isPointerLike(p.type)) return `first operand must be a pointer, got ${p.type.text}`;
    if (!isIntLike(off.type)) return `offset must be an integer, got ${off.type.text}`;
    if (!sameShape(p.type, off.type)) return 'pointer and offset shapes differ';
    return op.result.type === p.type ? undefined : 'result type must equal the pointer type';
  },
});

const pointeeOf = (ty: Type): Type | undefined => {
  const el = elementType(ty);
  return el instanceof PointerType ? el.pointee : undefined;
};

def({
  name: 'tt.load',
  summary: 'Loads through each pointer; where `mask` is false, yields `other` (or an undefined value) and reads nothing.',
  traits: ['readsMemory'],
  operands: [1, 3],
  results: 1,
  attrs: { 'cache?': 'string', 'evict?': 'string', 'isVolatile?': 'bool' },
  verify: (op) => {
    const [p, mask, other] = op.operands as [Value, Value | undefined, Value | undefined];
    const pointee = pointeeOf(p.type);
    if (!pointee) return `expects pointers, got ${p.type.text}`;
    if (op.result.type !== withElement(p.type, pointee as IntType)) return `result must be ${withElement(p.type, pointee as IntType).text}`;
    if (mask && mask.type !== withElement(p.type, i1)) return `mask must be ${withElement(p.type, i1).text}, got ${mask.type.text}`;
    if (other && other.type !== op.result.type) return `other must be ${op.result.type.text}, got ${other.type.text}`;
    return undefined;
  },
});

def({
  name: 'tt.store',
  summary: 'Stores values through each pointer where `mask` is true.',
  traits: ['writesMemory'],
  operands: [2, 3],
  results: 0,
  attrs: { 'cache?': 'string', 'evict?': 'string' },
  verify: (op) => {
    const [p, v, mask] = op.operands as [Value, Value, Value | undefined];
    const pointee = pointeeOf(p.type);
    if (!pointee) return `expects pointers, got ${p.type.text}`;
    if (v.type !== withElement(p.type, pointee as IntType)) return `value must be ${withElement(p.type, pointee as IntType).text}, got ${v.type.text}`;
    if (mask && mask.type !== withElement(p.type, i1)) return `mask must be ${withElement(p.type, i1).text}`;
    return undefined;
  },
});

export const atomicRmwOps = ['add', 'fadd', 'max', 'umax', 'min', 'umin', 'xchg', 'and', 'or', 'xor'] as const;
export const memorySemantics = ['relaxed', 'acquire', 'release', 'acq_rel'] as const;
export const memoryScopes = ['gpu', 'cta', 'sys'] as const;

def({
  name: 'tt.atomic_rmw',
  summary: 'Atomically combines each value into memory and returns the old contents, where `mask` is true.',
  traits: ['readsMemory', 'writesMemory'],
  operands: [2, 3],
  results: 1,
  attrs: { atomic_rmw_op: atomicRmwOps, sem: memorySemantics, scope: memoryScopes },
  verify: (op) => {
    const [p, v, mask] = op.operands as [Value, Value, Value | undefined];
    const pointee = pointeeOf(p.type);
    if (!pointee) return `expects pointers, got ${p.type.text}`;
    if (v.type !== withElement(p.type, pointee as IntType) || op.result.type !== v.type) return 'value and result must have the pointee type';
    if (mask && mask.type !== withElement(p.type, i1)) return 'mask must be i1 of the pointer shape';
    const kind = op.attrs['atomic_rmw_op'] as string;
    if (kind === 'fadd' && !(pointee instanceof FloatType)) return 'fadd needs a floating-point pointee';
    if (['add', 'max', 'umax', 'min', 'umin', 'and', 'or', 'xor'].includes(kind) && !(pointee instanceof IntType)) return `${kind} needs an integer pointee`;
    return undefined;
  },
});

def({
  name: 'tt.atomic_cas',
  summary: 'Atomically replaces memory equal to `cmp` by `val`; returns the old contents.',
  traits: ['readsMemory', 'writesMemory'],
  operands: 3,
  results: 1,
  attrs: { sem: memorySemantics, scope: memoryScopes },
  verify: (op) => {
    const [p, c, v] = op.operands as [Value, Value, Value];
    const pointee = pointeeOf(p.type);
    if (!pointee) return `expects pointers, got ${p.type.text}`;
    const want = withElement(p.type, pointee as IntType);
    return c.type === want && v.type === want && op.result.type === want ? undefined : `cmp, val and result must be ${want.text}`;
  },
});

// ---- tt: compute ------------------------------------------------------------------------------------

export const inputPrecisions = ['ieee', 'tf32', 'tf32x3'] as const;

def({
  name: 'tt.dot',
  summary: 'Matrix product of [M,K] and [K,N] tiles added to an [M,N] accumulator.',
  traits: ['pure'],
  operands: 3,
  results: 1,
  attrs: { inputPrecision: inputPrecisions, 'maxNumImpreciseAcc?': 'int' },
  verify: (op) => {
    const [a, b, c] = op.operands.map((v) => v.type) as [Type, Type, Type];
    // On the GPU, the operands come from shared memory (!ttg.memdesc); the accumulator stays in registers.
    const tile = (t: Type): t is TensorType | MemDescType => t instanceof TensorType || t instanceof MemDescType;
    if (!(tile(a) && tile(b) && c instanceof TensorType)) return 'expects tiles';
    if (a.shape.length !== 2 || b.shape.length !== 2 || c.shape.length !== 2) return 'expects 2-D tiles';
    if (a.shape[1] !== b.shape[0]) return `inner dimensions differ: ${a.text} and ${b.text}`;
    if (c.shape[0] !== a.shape[0] || c.shape[1] !== b.shape[1]) return `accumulator must be ${a.shape[0]}x${b.shape[1]}`;
    if (a.element !== b.element) return 'operands must share one element type';
    return op.result.type === c ? undefined : 'result must have the accumulator type';
  },
});

function regionArgsMatch(op: Operation, reduce: boolean): string | undefined {
  const axis = op.attrs['axis'] as number;
  const srcs = op.operands.map((v) => v.type);
  const first = srcs[0];
  if (!(first instanceof TensorType)) return 'expects tensor operands';
  if (axis < 0 || axis >= first.shape.length) return `axis ${axis} out of range for ${first.text}`;
  if (!srcs.every((s) => sameShape(s, first))) return 'operands must share one shape';
  const combine = op.regions[0]!.entry;
  const els = srcs.map(elementType);
  if (combine.args.length !== 2 * els.length || combine.args.some((a, i) => a.type !== els[i % els.length])) {
    return `combine region must take (${[...els, ...els].map((e) => e.text).join(', ')})`;
  }
  for (let i = 0; i < srcs.length; i++) {
    const rt = op.results[i]!.type;
    // A scan keeps the input's type; a reduction drops the axis (on the GPU its layout is a slice of the input's).
    const shape = reduce ? first.shape.filter((_, d) => d !== axis) : first.shape;
    const want = shape.length ? tensorType(shape, els[i]!) : els[i]!;
    const same = reduce ? elementType(rt) === els[i] && shapeOf(rt).join() === shape.join() && (shape.length > 0) === rt instanceof TensorType : rt === srcs[i];
    if (!same) return `result ${i} must be ${want.text}, got ${rt.text}`;
  }
  return undefined;
}

def({
  name: 'tt.reduce',
  summary: 'Combines the elements along `axis` with the combine region (an associative function).',
  traits: ['pure'],
  operands: [1, 8],
  results: [1, 8],
  regions: 1,
  attrs: { axis: 'int' },
  verify: (op) => (op.operands.length !== op.results.length ? 'one result per operand' : regionArgsMatch(op, true)),
});
def({
  name: 'tt.reduce.return',
  summary: 'Ends a reduce combine region with the combined values.',
  traits: ['terminator', 'pure'],
  operands: [1, 8],
  results: 0,
});
def({
  name: 'tt.scan',
  summary: 'Inclusive prefix combination along `axis` (from the end when `reverse`).',
  traits: ['pure'],
  operands: [1, 8],
  results: [1, 8],
  regions: 1,
  attrs: { axis: 'int', reverse: 'bool' },
  verify: (op) => (op.operands.length !== op.results.length ? 'one result per operand' : regionArgsMatch(op, false)),
});
def({
  name: 'tt.scan.return',
  summary: 'Ends a scan combine region with the combined values.',
  traits: ['terminator', 'pure'],
  operands: [1, 8],
  results: 0,
});

// ---- tt: inline assembly -----------------------------------------------------------------------------

def({
  name: 'tt.elementwise_inline_asm',
  summary:
    'PTX applied elementwise (tl.inlineAsmElementwise): each invocation of `asm_string` takes `packed_element` elements of every operand and gives as many of every result, in registers as `constraints` says (src/compiler/ir/inline-asm.ts). `pure` asm may be removed when unused (dce.ts); the GPU backend alone runs it.',
  // Not 'pure' as a trait: an asm with side effects (pure = false) must stay; dce.ts reads the attribute.
  traits: ['elementwise', 'readsMemory', 'writesMemory'],
  operands: [0, MAX_ARGUMENTS],
  results: [1, MAX_RESULTS],
  attrs: { asm_string: 'string', constraints: 'string', pure: 'bool', packed_element: 'int' },
  verify: (op) => {
    const shape = shapeOf(op.results[0]!.type);
    const isTile = op.results[0]!.type instanceof TensorType;
    for (const v of [...op.operands, ...op.results]) {
      if (v.type instanceof TensorType !== isTile || !sameShape(v.type, op.results[0]!.type)) return `operands and results must share one shape (${shape.length ? shape.join('x') : 'scalar'}), got ${v.type.text}`;
    }
    return checkInlineAsm(
      op.attrs['asm_string'] as string,
      op.attrs['constraints'] as string,
      op.attrs['packed_element'] as number,
      op.results.map((r) => elementType(r.type)),
      op.operands.map((v) => elementType(v.type)),
    );
  },
});

// ---- tt: debugging ----------------------------------------------------------------------------------

def({
  name: 'tt.print',
  summary: 'Prints each element of its operands with the program id (devicePrint).',
  traits: ['writesMemory'],
  operands: [0, 16],
  results: 0,
  attrs: { prefix: 'string', hex: 'bool', isSigned: 'ints' },
});
def({
  name: 'tt.assert',
  summary: 'Stops the kernel with `message` where the condition is false (deviceAssert).',
  traits: ['writesMemory'],
  operands: 1,
  results: 0,
  attrs: { message: 'string' },
  verify: (op) => (isBoolLike(op.operands[0]!.type) ? undefined : 'condition must be i1'),
});

def({
  name: 'tt.assume',
  summary: 'A condition the kernel promises holds (tl.assume): the interpreter checks it where it is evaluated; the GPU backend emits nothing for it.',
  traits: ['writesMemory'],
  operands: 1,
  results: 0,
  verify: (op) => (isBoolLike(op.operands[0]!.type) ? undefined : 'condition must be i1'),
});

// ---- functions --------------------------------------------------------------------------------------

def({
  name: 'builtin.module',
  summary: 'A compilation unit holding functions.',
  traits: [],
  operands: 0,
  results: 0,
  regions: 1,
});
def({
  name: 'tt.func',
  summary: 'A function; kernels are public, helpers private (and inlined).',
  traits: [],
  operands: 0,
  results: 0,
  regions: 1,
  attrs: { sym_name: 'string', function_type: 'type', 'sym_visibility?': 'string', 'arg_attrs?': 'string' },
  verify: (op) => {
    const ft = (op.attrs['function_type'] as TypeAttr).type;
    if (!(ft instanceof FunctionType)) return 'function_type must be a function type';
    const entry = op.regions[0]!.entry;
    if (entry.args.length !== ft.inputs.length || entry.args.some((a, i) => a.type !== ft.inputs[i])) {
      return 'entry block arguments must match the function type';
    }
    return undefined;
  },
});
def({
  name: 'tt.return',
  summary: 'Returns from a function.',
  traits: ['terminator', 'pure'],
  operands: [0, 16],
  results: 0,
  verify: (op) => {
    const fn = enclosingFunc(op);
    if (!fn) return 'must be inside a tt.func';
    const ft = (fn.attrs['function_type'] as TypeAttr).type as FunctionType;
    if (op.operands.length !== ft.results.length || op.operands.some((v, i) => v.type !== ft.results[i])) {
      return `returns (${op.operands.map((v) => v.type.text).join(', ')}) from a function of type ${ft.text}`;
    }
    return undefined;
  },
});
def({
  name: 'tt.call',
  summary: 'Calls a helper function (inlined by the inliner pass).',
  traits: ['readsMemory', 'writesMemory'],
  operands: [0, Infinity],
  results: [0, 16],
  attrs: { callee: 'symbol' },
});

export function enclosingFunc(op: Operation): Operation | undefined {
  for (let p = op.parent?.parent?.parent; p; p = p.parent?.parent?.parent ?? null) {
    if (p.name === 'tt.func') return p;
  }
  return undefined;
}

// ---- scf: structured control flow -------------------------------------------------------------------

def({
  name: 'scf.for',
  summary: 'for (iv = lb; iv < ub; iv += step) with loop-carried values; step must be positive.',
  traits: [],
  operands: [3, Infinity],
  results: [0, Infinity],
  regions: 1,
  attrs: { 'tt.num_stages?': 'int', 'tt.loop_unroll_factor?': 'int', 'tt.static_range?': 'bool', 'tt.pipelined?': 'int' },
  verify: (op) => {
    const [lb, ub, step, ...inits] = op.operands as Value[];
    if (!(lb!.type instanceof IntType) || lb!.type !== ub!.type || lb!.type !== step!.type) return 'bounds and step must be integers of one type';
    const body = op.regions[0]!.entry;
    if (body.args.length !== inits.length + 1 || body.args[0]!.type !== lb!.type) return 'body takes the induction variable and one argument per init value';
    for (let i = 0; i < inits.length; i++) {
      if (body.args[i + 1]!.type !== inits[i]!.type || op.results[i]?.type !== inits[i]!.type) return `loop-carried value ${i} changes type`;
    }
    return op.results.length === inits.length ? undefined : 'one result per init value';
  },
});
def({
  name: 'scf.if',
  summary: 'Runs the then-region or the else-region; both yield the results.',
  traits: [],
  operands: 1,
  results: [0, Infinity],
  regions: 2,
  verify: (op) => (op.operands[0]!.type === i1 ? undefined : `condition must be a scalar i1, got ${op.operands[0]!.type.text}`),
});
def({
  name: 'scf.while',
  summary: 'Loops: the before-region computes a condition and forwards values to the after-region, which yields the next state.',
  traits: [],
  operands: [0, Infinity],
  results: [0, Infinity],
  regions: 2,
});
def({
  name: 'scf.condition',
  summary: 'Ends the before-region of a while loop: continue while the condition holds, forwarding values.',
  traits: ['terminator', 'pure'],
  operands: [1, Infinity],
  results: 0,
  verify: (op) => (op.operands[0]!.type === i1 ? undefined : 'condition must be a scalar i1'),
});
def({
  name: 'scf.yield',
  summary: 'Ends a region of scf.for, scf.if or scf.while with the values it produces.',
  traits: ['terminator', 'pure'],
  operands: [0, Infinity],
  results: 0,
  verify: (op) => {
    const parent = op.parent?.parent?.parent;
    if (!parent) return 'must be inside a region';
    const want =
      parent.name === 'scf.for' ? parent.results.map((r) => r.type)
      : parent.name === 'scf.if' ? parent.results.map((r) => r.type)
      : parent.name === 'scf.while' ? parent.regions[0]!.entry.args.map((a) => a.type)
      : undefined;
    if (!want) return `cannot end a region of ${parent.name}`;
    if (want.length !== op.operands.length || want.some((w, i) => w !== op.operands[i]!.type)) {
      return `yields (${op.operands.map((v) => v.type.text).join(', ')}) where ${parent.name} expects (${want.map((w) => w.text).join(', ')})`;
    }
    return undefined;
  },
});

// ---- ttg: layouts and shared memory (GPU IR) ------------------------------------------------------------

def({
  name: 'ttg.convert_layout',
  summary: 'The same tile in another layout (through shared memory where threads must exchange elements).',
  traits: ['pure'],
  operands: 1,
  results: 1,
  verify: (op) => {
    const [src, dst] = [op.operands[0]!.type, op.result.type];
    if (!(src instanceof TensorType && dst instanceof TensorType)) return 'expects tensors';
    return src.shape.join() === dst.shape.join() && src.element === dst.element ? undefined : 'cannot change shape or element type';
  },
});
def({
  name: 'ttg.local_alloc',
  summary: 'A buffer of shared memory: a copy of a tile, or (with no operand) an uninitialised one, such as the stages of a pipelined loop (a leading dimension of buffers).',
  traits: ['pure'],
  operands: [0, 1],
  results: 1,
  attrs: { 'allocation.offset?': 'int' },
  verify: (op) => {
    const dst = op.result.type;
    if (!(dst instanceof MemDescType) || !(dst.encoding instanceof SharedEncoding)) return 'gives a memdesc in a shared layout';
    if (op.operands.length === 0) return undefined;
    const src = op.operands[0]!.type;
    if (!(src instanceof TensorType)) return 'copies a tensor';
    return src.shape.join() === dst.shape.join() && src.element === dst.element ? undefined : 'the memdesc must hold the tile';
  },
});
def({
  name: 'ttg.memdesc_index',
  summary: 'Buffer `index` of a memdesc whose leading dimension counts buffers (a stage of a pipelined loop).',
  traits: ['pure'],
  operands: 2,
  results: 1,
  verify: (op) => {
    const [src, index] = [op.operands[0]!.type, op.operands[1]!.type];
    const dst = op.result.type;
    if (!(src instanceof MemDescType && dst instanceof MemDescType) || index !== i32) return 'expects a memdesc and an i32 index, and gives a memdesc';
    return src.shape.slice(1).join() === dst.shape.join() && src.element === dst.element && src.encoding === dst.encoding ? undefined : 'the result is one buffer of the source';
  },
});
def({
  name: 'ttg.async_copy_global_to_local',
  summary: 'Starts copying the elements a tile of pointers points to into a shared buffer (cp.async), zero where the mask is false; the copy lands at the ttg.async_wait that covers its group.',
  traits: ['readsMemory', 'writesMemory'],
  operands: [2, 3],
  results: 0,
  verify: (op) => {
    const [ptrs, dst, mask] = op.operands.map((v) => v.type);
    if (!(ptrs instanceof TensorType && ptrs.element instanceof PointerType && dst instanceof MemDescType)) return 'expects a tile of pointers and a memdesc';
    if (ptrs.shape.join() !== dst.shape.join()) return 'the buffer must have the shape of the pointer tile';
    if (mask && !(mask instanceof TensorType && mask.element === i1 && mask.shape.join() === ptrs.shape.join())) return 'the mask must be an i1 tile of the same shape';
    return undefined;
  },
});
def({ name: 'ttg.async_commit_group', summary: 'Closes the group of the async copies started since the last commit (cp.async.commit_group).', traits: ['writesMemory'], operands: 0, results: 0 });
def({
  name: 'ttg.async_wait',
  summary: 'Waits until at most `num` groups of async copies are in flight (cp.async.wait_group): the older ones have landed.',
  traits: ['writesMemory'],
  operands: 0,
  results: 0,
  attrs: { num: 'int' },
});
def({
  name: 'ttg.local_load',
  summary: 'Reads a tile from shared memory into registers.',
  traits: ['readsMemory'],
  operands: 1,
  results: 1,
  verify: (op) => {
    const [src, dst] = [op.operands[0]!.type, op.result.type];
    if (!(src instanceof MemDescType && dst instanceof TensorType)) return 'expects a memdesc and gives a tensor';
    return src.shape.join() === dst.shape.join() && src.element === dst.element ? undefined : 'shape or element type differs';
  },
});

// ---- ttng: tensor-core dots on Hopper (GPU IR) ---------------------------------------------------------

def({
  name: 'ttng.warp_group_dot',
  summary: 'A dot on the tensor cores with wgmma: A and B in shared memory, the accumulator in registers (an nvidia_mma v3 layout); asynchronous when isAsync (a warp_group_dot_wait makes its result available).',
  traits: ['readsMemory'],
  operands: 3,
  results: 1,
  attrs: { inputPrecision: inputPrecisions, isAsync: 'bool' },
  verify: (op) => {
    const [a, b, c] = op.operands.map((v) => v.type) as [Type, Type, Type];
    if (!(a instanceof MemDescType && b instanceof MemDescType && c instanceof TensorType)) return 'expects A and B in shared memory and an accumulator tile';
    if (!(c.encoding instanceof NvidiaMmaLayout) || c.encoding.versionMajor !== 3) return 'the accumulator must be in an nvidia_mma layout of version 3';
    if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) return `inner dimensions differ: ${a.text} and ${b.text}`;
    if (c.shape[0] !== a.shape[0] || c.shape[1] !== b.shape[1]) return `accumulator must be ${a.shape[0]}x${b.shape[1]}`;
    return op.result.type === c ? undefined : 'result must have the accumulator type';
  },
});
def({
  name: 'ttng.warp_group_dot_wait',
  summary: 'Waits until at most `pendings` groups of asynchronous warp_group_dots are in flight; gives their accumulators.',
  traits: ['readsMemory', 'writesMemory'],
  operands: [1, 8],
  results: [1, 8],
  attrs: { pendings: 'int' },
  verify: (op) => (op.operands.length === op.results.length && op.operands.every((v, i) => v.type === op.results[i]!.type) ? undefined : 'results must match operands'),
});

// ---- gpu: per-thread operations (the low-level IR that becomes PTX) ---------------------------------------

for (const [name, summary] of [
  ['gpu.thread_id', 'The thread index within the program (%tid.x).'],
  ['gpu.block_id', 'The program index along an axis (%ctaid).'],
  ['gpu.grid_dim', 'The number of programs along an axis (%nctaid).'],
] as const) {
  def({ name, summary, traits: ['pure'], operands: 0, results: 1, attrs: name === 'gpu.thread_id' ? {} : { axis: 'int' }, verify: (op) => (op.result.type === i32 ? undefined : 'result must be i32') });
}

const scalarPtr = (v: Value | undefined): boolean => v !== undefined && v.type instanceof PointerType;

def({
  name: 'gpu.load',
  summary: 'Loads `vec` consecutive elements from global memory where the predicate holds (else the `other` values).',
  traits: ['readsMemory'],
  operands: [2, 18],
  results: [1, 16],
  attrs: { vec: 'int', 'cache?': 'string', 'evict?': 'string', 'isVolatile?': 'bool' },
  verify: (op) => {
    const vec = op.attrs['vec'] as number;
    if (!scalarPtr(op.operands[0])) return 'expects a scalar pointer';
    if (op.operands[1]!.type !== i1) return 'the predicate must be i1';
    if (op.results.length !== vec) return `expects ${vec} results`;
    const others = op.operands.slice(2);
    if (others.length && others.length !== vec) return `expects 0 or ${vec} other values`;
    return undefined;
  },
});
def({
  name: 'gpu.store',
  summary: 'Stores `vec` consecutive elements to global memory where the predicate holds.',
  traits: ['writesMemory'],
  operands: [3, 18],
  results: 0,
  attrs: { vec: 'int', 'cache?': 'string', 'evict?': 'string' },
  verify: (op) => (scalarPtr(op.operands[0]) && op.operands[1]!.type === i1 && op.operands.length === 2 + (op.attrs['vec'] as number) ? undefined : 'expects (ptr, pred, vec values)'),
});
def({
  name: 'gpu.atomic_rmw',
  summary: 'An atomic read-modify-write of one element where the predicate holds; gives the old value.',
  traits: ['readsMemory', 'writesMemory'],
  operands: 3,
  results: 1,
  attrs: { atomic_rmw_op: atomicRmwOps, sem: memorySemantics, scope: memoryScopes },
});
def({
  name: 'gpu.atomic_cas',
  summary: 'An atomic compare-and-swap of one element where the predicate holds; gives the old value.',
  traits: ['readsMemory', 'writesMemory'],
  operands: 4,
  results: 1,
  attrs: { sem: memorySemantics, scope: memoryScopes },
});
def({
  name: 'gpu.shared_load',
  summary: 'Loads `vec` consecutive elements from shared memory at a byte offset.',
  traits: ['readsMemory'],
  operands: 1,
  results: [1, 16],
  attrs: { vec: 'int' },
  verify: (op) => (op.operands[0]!.type === i32 && op.results.length === op.attrs['vec'] ? undefined : 'expects an i32 byte offset and vec results'),
});
def({
  name: 'gpu.shared_store',
  summary: 'Stores `vec` consecutive elements to shared memory at a byte offset.',
  traits: ['writesMemory'],
  operands: [2, 17],
  results: 0,
  attrs: { vec: 'int' },
  verify: (op) => (op.operands[0]!.type === i32 && op.operands.length === 1 + (op.attrs['vec'] as number) ? undefined : 'expects an i32 byte offset and vec values'),
});
def({
  name: 'gpu.truncate_tf32',
  summary: 'An f32 as the tensor cores read it in a tf32 dot: its low 13 mantissa bits dropped.',
  traits: ['pure', 'elementwise'],
  operands: 1,
  results: 1,
  verify: floatBinary,
});
def({
  name: 'gpu.shared_base',
  summary: "The address of the program's shared memory (offsets from the allocation pass are added to it).",
  traits: ['pure'],
  operands: 0,
  results: 1,
  verify: (op) => (op.result.type === i32 ? undefined : 'result must be i32'),
});
def({
  name: 'gpu.shared_atomic_add',
  summary: 'Atomically adds an i32 to the i32 in shared memory at a byte offset (red.shared.add.u32); atomic adds by several threads since the last barrier do not race with each other.',
  traits: ['readsMemory', 'writesMemory'],
  operands: 2,
  results: 0,
  verify: (op) => (op.operands[0]!.type === i32 && op.operands[1]!.type === i32 ? undefined : 'expects an i32 byte offset and an i32 value'),
});
def({
  name: 'gpu.barrier',
  summary: "Waits until every thread of the program arrives (bar.sync); orders shared memory accesses. Also tl.debugBarrier's op in the target-independent IR (as in Triton), where it orders the memory accesses of the program's lanes.",
  traits: ['writesMemory'],
  operands: 0,
  results: 0,
});
export const shuffleModes = ['bfly', 'up', 'down', 'idx'] as const;
def({
  name: 'gpu.shfl',
  summary: "Reads a 32-bit value from another lane of the warp (shfl.sync): lane ^ k, lane - k, lane + k or lane k.",
  traits: ['pure'],
  operands: 2,
  results: 1,
  attrs: { mode: shuffleModes },
  verify: (op) => {
    const t = op.operands[0]!.type;
    return (t === i32 || t instanceof FloatType && t.width === 32) && op.result.type === t && op.operands[1]!.type === i32 ? undefined : 'shuffles 32-bit values by an i32 lane argument';
  },
});
def({
  name: 'gpu.printf',
  summary: 'Prints a formatted line from this thread (vprintf).',
  traits: ['writesMemory'],
  operands: [0, 32],
  results: 0,
  attrs: { format: 'string' },
});
def({
  name: 'gpu.assert',
  summary: 'Stops the kernel with a message where the condition is false (__assertfail).',
  traits: ['writesMemory'],
  operands: 1,
  results: 0,
  attrs: { message: 'string', file: 'string', line: 'int', function: 'string' },
  verify: (op) => (op.operands[0]!.type === i1 ? undefined : 'the condition must be i1'),
});

def({
  name: 'gpu.inline_asm',
  summary: "One invocation of inline PTX by this thread: operands and results are its registers (one per constraint, of the constraint's type), printed in a { } scope of its own with $i replaced by them.",
  traits: ['readsMemory', 'writesMemory'],
  operands: [0, MAX_REGISTERS],
  results: [1, MAX_REGISTERS],
  attrs: { asm_string: 'string', constraints: 'string', pure: 'bool' },
  verify: (op) =>
    checkRegisterOperands(
      op.attrs['asm_string'] as string,
      op.attrs['constraints'] as string,
      op.results.map((r) => r.type),
      op.operands.map((v) => v.type),
    ),
});

export const wgmmaTypes = ['f16', 'bf16', 'tf32', 'e4m3', 'e5m2', 's8', 'u8'] as const;
def({
  name: 'gpu.wgmma',
  summary: 'One wgmma.mma_async of the warpgroup: D (the accumulator registers, updated in place) += A * B, A and B read from shared memory through 64-bit matrix descriptors.',
  traits: ['readsMemory', 'writesMemory'],
  operands: [3, 130],
  results: [1, 128],
  attrs: { m: 'int', n: 'int', k: 'int', aType: wgmmaTypes, bType: wgmmaTypes, transA: 'bool', transB: 'bool' },
  verify: (op) => {
    const [da, db] = op.operands;
    if (da!.type !== i64 || db!.type !== i64) return 'the A and B descriptors must be i64';
    const acc = op.operands.slice(2);
    if (acc.length !== op.results.length || acc.some((v, i) => v.type !== op.results[i]!.type)) return 'results must match the accumulator operands';
    const n = op.attrs['n'] as number;
    return acc.length === n / 2 ? undefined : `an m64n${n} accumulator is ${n / 2} registers per thread, got ${acc.length}`;
  },
});
export const mmaSyncTypes = ['f16', 'bf16', 'tf32', 's8', 'e4m3', 'e5m2'] as const;
def({
  name: 'gpu.pack',
  summary: 'Packs 1, 2 or 4 narrow elements into one 32-bit register, the first in the low bits (a tensor-core fragment register).',
  traits: ['pure'],
  operands: [1, 4],
  results: 1,
  verify: (op) => {
    const el = op.operands[0]!.type;
    if (!(el instanceof IntType || el instanceof FloatType) || op.operands.some((v) => v.type !== el)) return 'packs scalars of one type';
    if (el.width * op.operands.length !== 32) return `${op.operands.length} ${el.text} elements do not fill 32 bits`;
    return op.result.type === i32 ? undefined : 'result must be i32';
  },
});
def({
  name: 'gpu.unpack',
  summary: 'The 2 or 4 narrow elements of a 32-bit register, the first from the low bits (the inverse of gpu.pack).',
  traits: ['pure'],
  operands: 1,
  results: [2, 4],
  verify: (op) => {
    const el = op.results[0]!.type;
    if (op.operands[0]!.type !== i32) return 'unpacks an i32';
    if (!(el instanceof IntType || el instanceof FloatType) || op.results.some((r) => r.type !== el)) return 'gives scalars of one type';
    return el.width * op.results.length === 32 ? undefined : `${op.results.length} ${el.text} elements do not fill 32 bits`;
  },
});
def({
  name: 'gpu.ldmatrix',
  summary: "ldmatrix.sync.aligned.m8n8.x<num>{.trans}.shared.b16: the warp reads `num` 8x8 matrices of 16-bit elements from shared memory, each lane giving one row's byte address (lane 8q + i: row i of matrix q) and getting one 32-bit register per matrix.",
  traits: ['readsMemory'],
  operands: 1,
  results: [1, 4],
  attrs: { num: 'int', trans: 'bool' },
  verify: (op) => {
    const num = op.attrs['num'] as number;
    if (![1, 2, 4].includes(num) || op.results.length !== num) return 'reads 1, 2 or 4 matrices, one i32 result each';
    return op.operands[0]!.type === i32 && op.results.every((r) => r.type === i32) ? undefined : 'takes an i32 shared address and gives i32 registers';
  },
});
def({
  name: 'gpu.mma_sync',
  summary: "One mma.sync.aligned.m16n8k<k>.row.col of the warp: D = A * B + C, A in 4 and B in 2 packed 32-bit registers per thread, C and D in 4 (f32 or i32).",
  traits: ['pure'],
  operands: 10,
  results: 4,
  attrs: { k: 'int', aType: mmaSyncTypes, bType: mmaSyncTypes },
  verify: (op) => {
    if (op.operands.slice(0, 6).some((v) => v.type !== i32)) return 'A and B fragments must be packed i32 registers';
    const acc = op.operands.slice(6);
    if (acc.some((v, i) => v.type !== op.results[i]!.type)) return 'results must match the accumulator operands';
    const t = acc[0]!.type;
    return acc.every((v) => v.type === t) && (t === i32 || (t instanceof FloatType && t.width === 32)) ? undefined : 'the accumulator is 4 f32 or 4 i32 registers';
  },
});
def({
  name: 'gpu.cp_async',
  summary: 'Starts copying `bytes` (4, 8 or 16) from global memory to shared memory at a byte offset (cp.async), or zeros where the predicate is false.',
  traits: ['readsMemory', 'writesMemory'],
  operands: 3,
  results: 0,
  attrs: { bytes: 'int' },
  verify: (op) => {
    const [dst, src, pred] = op.operands.map((v) => v.type);
    if (dst !== i32 || !(src instanceof PointerType) || pred !== i1) return 'expects (i32 shared offset, pointer, i1 predicate)';
    return [4, 8, 16].includes(op.attrs['bytes'] as number) ? undefined : 'copies 4, 8 or 16 bytes';
  },
});
def({ name: 'gpu.cp_async_commit', summary: 'Closes the group of this thread\'s cp.async copies (cp.async.commit_group).', traits: ['writesMemory'], operands: 0, results: 0 });
def({ name: 'gpu.cp_async_wait', summary: 'Waits until at most `pending` of this thread\'s cp.async groups are in flight (cp.async.wait_group).', traits: ['writesMemory'], operands: 0, results: 0, attrs: { pending: 'int' } });
for (const [name, summary] of [
  ['gpu.wgmma_fence', 'Orders register accesses before the next wgmma (wgmma.fence): needed before a wgmma whose accumulator registers other instructions wrote.'],
  ['gpu.wgmma_commit', 'Closes the group of the wgmmas issued since the last commit (wgmma.commit_group).'],
  ['gpu.fence_proxy_async', 'Makes this thread\'s shared-memory writes visible to the async proxy (the tensor cores) (fence.proxy.async.shared::cta).'],
] as const) {
  def({ name, summary, traits: ['writesMemory'], operands: 0, results: 0 });
}
def({
  name: 'gpu.wgmma_wait',
  summary: 'Waits until at most `pendings` wgmma groups are in flight (wgmma.wait_group); gives the accumulator registers it waited for.',
  traits: ['readsMemory', 'writesMemory'],
  operands: [0, 1024],
  results: [0, 1024],
  attrs: { pendings: 'int' },
  verify: (op) => (op.operands.length === op.results.length && op.operands.every((v, i) => v.type === op.results[i]!.type) ? undefined : 'results must match operands'),
});

/** Checks an attribute against its declared kind. */
export function attributeMatches(a: Attribute, kind: AttrKind): boolean {
  if (Array.isArray(kind)) return typeof a === 'string' && kind.includes(a);
  switch (kind) {
    case 'int':
      return typeof a === 'number' && Number.isInteger(a);
    case 'bool':
      return typeof a === 'boolean';
    case 'string':
      return typeof a === 'string';
    case 'typed':
      return a instanceof IntegerAttr || a instanceof FloatAttr || a instanceof DenseAttr;
    case 'type':
      return a instanceof TypeAttr;
    case 'symbol':
      return a instanceof SymbolRefAttr;
    case 'ints':
      return Array.isArray(a) && a.every((x) => typeof x === 'number');
  }
  return false;
}
