// Attributes: compile-time data attached to ops. Plain JS values stand for the common cases
// (an untyped integer such as an axis, a boolean, a string such as a predicate, an array);
// typed constants are classes so that `1 : i32` and `1.0 : f32` keep their types.
import { Layout } from './layouts.ts';
import { FloatType, IntType, TensorType, type Type } from './types.ts';

export class IntegerAttr {
  constructor(
    readonly value: bigint,
    readonly type: IntType,
  ) {}
}

export class FloatAttr {
  constructor(
    readonly value: number,
    readonly type: FloatType,
  ) {}
}

/** A tensor constant in which every element has the same value (`dense<0.0> : tensor<128xf32>`). */
export class DenseAttr {
  constructor(
    readonly splat: IntegerAttr | FloatAttr,
    readonly type: TensorType,
  ) {}
}

export class TypeAttr {
  constructor(readonly type: Type) {}
}

export class SymbolRefAttr {
  constructor(readonly name: string) {}
}

export type Attribute =
  | number
  | boolean
  | string
  | readonly Attribute[]
  | IntegerAttr
  | FloatAttr
  | DenseAttr
  | TypeAttr
  | SymbolRefAttr
  | Layout;

export type Attributes = Record<string, Attribute>;

/** Shortest text that reads back as the same double; always has a '.' or exponent so it stays a float. */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

export function formatAttribute(a: Attribute): string {
  if (typeof a === 'number') return String(a);
  if (typeof a === 'boolean') return a ? 'true' : 'false';
  if (typeof a === 'string') return JSON.stringify(a);
  if (Array.isArray(a)) return `[${a.map(formatAttribute).join(', ')}]`;
  if (a instanceof IntegerAttr) return `${a.value} : ${a.type.text}`;
  if (a instanceof FloatAttr) return `${formatFloat(a.value)} : ${a.type.text}`;
  if (a instanceof DenseAttr) {
    const v = a.splat instanceof IntegerAttr ? String(a.splat.value) : formatFloat(a.splat.value);
    return `dense<${v}> : ${a.type.text}`;
  }
  if (a instanceof TypeAttr) return a.type.text;
  if (a instanceof SymbolRefAttr) return `@${a.name}`;
  if (a instanceof Layout) return a.text;
  throw new Error(`unknown attribute ${String(a)}`);
}

/** Structural equality, through the printed form (attributes are small). */
export function attributesEqual(a: Attributes, b: Attributes): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && formatAttribute(a[k]!) === formatAttribute(b[k]!));
}

/** The scalar value of a constant attribute: a number for floats and narrow ints, a bigint for i64. */
export function constantValue(a: IntegerAttr | FloatAttr): number | bigint {
  if (a instanceof FloatAttr) return a.value;
  return a.type.width === 64 ? a.value : Number(a.value);
}
