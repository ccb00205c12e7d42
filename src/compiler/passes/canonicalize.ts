// Canonicalisation: constant folding and small local rewrites, repeated until nothing changes.
// Folding evaluates ops with the same per-element semantics the interpreter runs (ir/elementwise.ts).
import { DenseAttr, FloatAttr, IntegerAttr } from '../ir/attributes.ts';
import { constantAttr } from '../ir/builder.ts';
import { Operation, replaceUses, type Block, type Value } from '../ir/core.ts';
import { elementExpr, elementwiseHelpers, literal } from '../ir/elementwise.ts';
import { hasTrait } from '../ir/ops.ts';
import { FloatType, IntType, elementType, type ScalarType, type Type } from '../ir/types.ts';
import type { Pass } from './pass-manager.ts';

interface Constant {
  readonly value: number | bigint;
  readonly type: ScalarType;
}

/** The value of `v` if it is a scalar constant or a splat tensor constant. */
export function constantOf(v: Value): Constant | undefined {
  const op = v.definingOp;
  if (op?.name !== 'arith.constant') return undefined;
  const a = op.attrs['value'];
  const s = a instanceof DenseAttr ? a.splat : a;
  if (s instanceof IntegerAttr) return { value: s.type.width === 64 ? s.value : Number(s.value), type: s.type };
  if (s instanceof FloatAttr) return { value: s.value, type: s.type };
  return undefined;
}

const isConst = (v: Value, x: number): boolean => {
  const c = constantOf(v);
  return c !== undefined && Number(c.value) === x && !(x === 0 && Object.is(c.value, -0));
};
const isNegZero = (v: Value): boolean => {
  const c = constantOf(v);
  return c !== undefined && Object.is(c.value, -0);
};
const isAllOnes = (v: Value): boolean => {
  const c = constantOf(v);
  return c !== undefined && c.type instanceof IntType && (c.type.width === 1 ? Number(c.value) === 1 : BigInt(c.value) === -1n);
};

const evaluators = new Map<string, (helpers: typeof elementwiseHelpers) => number | bigint>();

/** Folds an elementwise op whose operands are all constants; returns the value of its result. */
function fold(op: Operation): number | bigint | undefined {
  if (!hasTrait(op, 'elementwise') || !hasTrait(op, 'pure') || op.results.length !== 1) return undefined;
  const consts = op.operands.map(constantOf);
  if (consts.some((c) => c === undefined)) return undefined;
  const expr = elementExpr(op, consts.map((c) => literal(c!.type, c!.value)));
  if (expr === undefined) return undefined;
  let f = evaluators.get(expr);
  if (!f) {
    f = new Function('$', `return ${expr};`) as (helpers: typeof elementwiseHelpers) => number | bigint;
    evaluators.set(expr, f);
  }
  return f(elementwiseHelpers);
}

function makeConstant(before: Operation, value: number | bigint, type: Type): Value {
  const el = elementType(type);
  const v = el instanceof FloatType ? Number(value) : value;
  const c = new Operation('arith.constant', [], [type], { value: constantAttr(v, type) }, [], before.loc);
  before.parent!.insertBefore(before, c);
  return c.result;
}

/** A value equal to `op`'s single result, or undefined when no rewrite applies. */
function simplify(op: Operation): Value | undefined {
  const [a, b, c] = op.operands as [Value, Value, Value];
  const rt = op.results[0]?.type;
  const folded = fold(op);
  if (folded !== undefined) return makeConstant(op, folded, rt!);
  switch (op.name) {
    case 'tt.splat': {
      const k = constantOf(a);
      return k ? makeConstant(op, k.value, rt!) : undefined;
    }
    case 'tt.broadcast':
    case 'tt.expand_dims':
    case 'tt.reshape': {
      const k = constantOf(a);
      if (k) return makeConstant(op, k.value, rt!);
      const src = a.definingOp;
      if (src?.name === 'tt.splat') return insert(op, 'tt.splat', [src.operands[0]!], rt!);
      if (op.name !== 'tt.expand_dims' && src?.name === op.name) {
        const inner = src.operands[0]!;
        return inner.type === rt ? inner : insert(op, op.name, [inner], rt!, op.attrs);
      }
      return undefined;
    }
    case 'arith.addi':
    case 'arith.ori':
    case 'arith.xori':
      if (isConst(b, 0)) return a;
      if (isConst(a, 0)) return b;
      return undefined;
    case 'arith.subi':
    case 'arith.shli':
    case 'arith.shrsi':
    case 'arith.shrui':
      return isConst(b, 0) ? a : undefined;
    case 'arith.muli':
      if (isConst(b, 1)) return a;
      if (isConst(a, 1)) return b;
      if (isConst(b, 0)) return b;
      if (isConst(a, 0)) return a;
      return undefined;
    case 'arith.divsi':
    case 'arith.divui':
      return isConst(b, 1) ? a : undefined;
    case 'arith.andi':
      if (isConst(b, 0) || isAllOnes(a)) return b;
      if (isConst(a, 0) || isAllOnes(b)) return a;
      return undefined;
    case 'arith.mulf':
      if (isConst(b, 1)) return a;
      if (isConst(a, 1)) return b;
      return undefined;
    case 'arith.addf':
      // x + -0.0 is x for every x (x + 0.0 is not: -0.0 + 0.0 = 0.0).
      if (isNegZero(b)) return a;
      if (isNegZero(a)) return b;
      return undefined;
    case 'arith.subf':
      return isConst(b, 0) ? a : undefined;
    case 'tt.addptr':
      return isConst(b, 0) ? a : undefined;
    case 'arith.select': {
      if (b === c) return b;
      const k = constantOf(a);
      if (k) return Number(k.value) ? b : c;
      return undefined;
    }
    case 'arith.cmpi':
      if (a === b) {
        const pred = op.attrs['predicate'] as string;
        return makeConstant(op, ['eq', 'sle', 'sge', 'ule', 'uge'].includes(pred) ? 1 : 0, rt!);
      }
      return undefined;
  }
  return undefined;
}

function insert(before: Operation, name: string, operands: Value[], type: Type, attrs = {}): Value {
  const op = new Operation(name, operands, [type], { ...attrs }, [], before.loc);
  before.parent!.insertBefore(before, op);
  return op.result;
}

/** Moves the ops of a single-block region in front of `anchor`; returns the terminator's operands. */
function spliceRegion(anchor: Operation, block: Block): Value[] {
  let yielded: Value[] = [];
  for (const inner of [...block.ops]) {
    if (inner.name === 'scf.yield') {
      yielded = inner.operands;
      continue;
    }
    inner.erase();
    anchor.parent!.insertBefore(anchor, inner);
  }
  return yielded;
}

/** Rewrites a structured op; returns the values that replace its results, or undefined. */
function simplifyControlFlow(op: Operation): Value[] | undefined {
  if (op.name === 'scf.if') {
    const k = constantOf(op.operands[0]!);
    if (!k) return undefined;
    return spliceRegion(op, op.regions[Number(k.value) ? 0 : 1]!.entry);
  }
  if (op.name === 'scf.for') {
    const [lb, ub] = [constantOf(op.operands[0]!), constantOf(op.operands[1]!)];
    if (lb && ub && lb.value >= ub.value) return op.operands.slice(3);
  }
  return undefined;
}

function sweep(module: Operation): boolean {
  let changed = false;
  const replaced = new Map<Value, Value>();
  module.walk((op) => {
    if (!op.parent) return;
    for (let i = 0; i < op.operands.length; i++) op.operands[i] = replaced.get(op.operands[i]!) ?? op.operands[i]!;
    if (op.regions.length) {
      const values = simplifyControlFlow(op);
      if (values) {
        op.results.forEach((r, i) => replaced.set(r, values[i]!));
        op.erase();
        changed = true;
      }
      return;
    }
    if (op.results.length !== 1 || !hasTrait(op, 'pure') || op.name === 'arith.constant') return;
    const v = simplify(op);
    if (v && v !== op.results[0]) {
      replaced.set(op.results[0]!, v);
      op.erase();
      changed = true;
    }
  });
  replaceUses(module, replaced);
  return changed;
}

export function canonicalize(module: Operation): Operation {
  for (let i = 0; i < 32 && sweep(module); i++);
  return module;
}

export const canonicalizePass: Pass = { name: 'canonicalize', run: canonicalize };

