// The frontend's values: a runtime value (an IR value with its signed-aware type) or a compile-time one.
import type { Value } from '../ir/core.ts';
import { pointerType, tensorType, type ScalarType, type Type } from '../ir/types.ts';
import { DType, PointerDType, pointerTo, type ElementType } from './dtype.ts';

/** A value's type in the language: an element type and a static shape ([] for a scalar). */
export class KType {
  constructor(
    readonly element: ElementType,
    readonly shape: readonly number[],
  ) {}
  get isBlock(): boolean {
    return this.shape.length > 0;
  }
  get isPointer(): boolean {
    return this.element instanceof PointerDType;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  /** The element as a dtype; throws for pointers (callers check isPointer first). */
  get dtype(): DType {
    if (this.element instanceof PointerDType) throw new Error('pointer type has no dtype');
    return this.element;
  }
  withElement(element: ElementType): KType {
    return new KType(element, this.shape);
  }
  withShape(shape: readonly number[]): KType {
    return new KType(this.element, shape);
  }
  get ir(): Type {
    const el = elementIr(this.element);
    return this.shape.length ? tensorType(this.shape, el) : el;
  }
  toString(): string {
    const el = String(this.element);
    return this.shape.length ? `tensor<${this.shape.map((d) => `${d}x`).join('')}${el}>` : el;
  }
  equals(other: KType): boolean {
    return this.element === other.element && this.shape.length === other.shape.length && this.shape.every((d, i) => d === other.shape[i]);
  }
}

export function elementIr(el: ElementType): ScalarType {
  return el instanceof PointerDType ? pointerType(el.pointee.ir) : el.ir;
}

/** A value computed at run time: an IR value and its language type. */
export class TValue {
  constructor(
    readonly ir: Value,
    readonly type: KType,
  ) {}
}

/** The values a compile-time (constexpr) can hold. */
export type ConstValue = number | bigint | boolean | string | null | DType | PointerDType | readonly ConstValue[];

/**
 * A compile-time value: constexpr parameters, literals and what is computed from them.
 * A number remembers whether it was written as a float (`1.0`) or an integer (`1`), as Python does.
 */
export class Constexpr {
  constructor(
    readonly value: ConstValue,
    readonly isFloat = false,
  ) {}
  get isNumber(): boolean {
    return typeof this.value === 'number' || typeof this.value === 'bigint' || typeof this.value === 'boolean';
  }
  toString(): string {
    const v = this.value;
    if (typeof v === 'number' && this.isFloat && Number.isInteger(v)) return `${v}.0`;
    if (Array.isArray(v)) return `[${v.map((x) => new Constexpr(x).toString()).join(', ')}]`;
    if (typeof v === 'string') return JSON.stringify(v);
    return String(v);
  }
}

/** What semantic operations accept: a runtime value or a literal. */
export type Operand = TValue | Constexpr;

/** A constexpr as JSON, for the compilation cache. */
export type SerializedConst = { v: unknown; f?: true };

function toJson(v: ConstValue): unknown {
  if (typeof v === 'bigint') return { bigint: String(v) };
  if (v instanceof DType) return { dtype: v.name };
  if (v instanceof PointerDType) return { pointer: v.pointee.name };
  if (typeof v === 'number' && !Number.isFinite(v)) return { number: String(v) };
  if (Array.isArray(v)) return v.map(toJson);
  return v;
}

function fromJson(j: unknown, lookup: (name: string) => DType): ConstValue {
  if (Array.isArray(j)) return j.map((x) => fromJson(x, lookup));
  if (j !== null && typeof j === 'object') {
    const o = j as Record<string, string>;
    if ('bigint' in o) return BigInt(o['bigint']!);
    if ('dtype' in o) return lookup(o['dtype']!);
    if ('pointer' in o) return pointerTo(lookup(o['pointer']!));
    if ('number' in o) return Number(o['number']);
  }
  return j as ConstValue;
}

export function serializeConstexpr(c: Constexpr): SerializedConst {
  return c.isFloat ? { v: toJson(c.value), f: true } : { v: toJson(c.value) };
}

export function deserializeConstexpr(s: SerializedConst, lookup: (name: string) => DType): Constexpr {
  return new Constexpr(fromJson(s.v, lookup), s.f === true);
}
