// IR types, MLIR-style. Integers are signless (as in MLIR's arith dialect and Triton's TTIR): signedness
// lives in the ops (divsi/divui, cmpi slt/ult, extsi/extui), and the frontend's dtypes carry it.
// Types are interned, so two types are equal exactly when they are the same object.
import type { Layout, SharedEncoding } from './layouts.ts';

export abstract class Type {
  /** The type's textual form, which is also its identity. */
  abstract readonly text: string;
  toString(): string {
    return this.text;
  }
}

export class IntType extends Type {
  readonly text: string;
  constructor(readonly width: number) {
    super();
    this.text = `i${width}`;
  }
}

export type FloatKind = 'f16' | 'bf16' | 'f32' | 'f64' | 'f8E4M3FN' | 'f8E5M2';

const floatWidths: Record<FloatKind, number> = { f16: 16, bf16: 16, f32: 32, f64: 64, f8E4M3FN: 8, f8E5M2: 8 };

export class FloatType extends Type {
  readonly width: number;
  constructor(readonly text: FloatKind) {
    super();
    this.width = floatWidths[text];
  }
}

/** `!tt.ptr<f32>`: a pointer into global memory (address space 1) unless told otherwise. */
export class PointerType extends Type {
  readonly text: string;
  constructor(readonly pointee: Type, readonly addressSpace: number) {
    super();
    this.text = addressSpace === 1 ? `!tt.ptr<${pointee.text}>` : `!tt.ptr<${pointee.text}, ${addressSpace}>`;
  }
}

/**
 * `tensor<128x64xf16>`: a tile of scalars or pointers with a static shape. On the GPU, tiles also carry their
 * layout: `tensor<128x64xf16, #ttg.blocked<...>>`.
 */
export class TensorType extends Type {
  readonly text: string;
  readonly numel: number;
  constructor(
    readonly shape: readonly number[],
    readonly element: ScalarType,
    readonly encoding?: Layout,
  ) {
    super();
    this.text = `tensor<${shape.map((d) => `${d}x`).join('')}${element.text}${encoding ? `, ${encoding.text}` : ''}>`;
    this.numel = shape.reduce((a, b) => a * b, 1);
  }
}

/** `!ttg.memdesc<64x32xf16, #ttg.shared<...>>`: a tile held in shared memory. */
export class MemDescType extends Type {
  readonly text: string;
  readonly numel: number;
  constructor(
    readonly shape: readonly number[],
    readonly element: ScalarType,
    readonly encoding: SharedEncoding,
  ) {
    super();
    this.text = `!ttg.memdesc<${shape.map((d) => `${d}x`).join('')}${element.text}, ${encoding.text}>`;
    this.numel = shape.reduce((a, b) => a * b, 1);
  }
}

export class FunctionType extends Type {
  readonly text: string;
  constructor(readonly inputs: readonly Type[], readonly results: readonly Type[]) {
    super();
    const res = results.length === 1 ? results[0]!.text : `(${results.map((t) => t.text).join(', ')})`;
    this.text = `(${inputs.map((t) => t.text).join(', ')}) -> ${res}`;
  }
}

/** What a tensor may hold, and what a 0-d value is. */
export type ScalarType = IntType | FloatType | PointerType;

const interned = new Map<string, Type>();
function intern<T extends Type>(t: T): T {
  const seen = interned.get(t.text);
  if (seen) return seen as T;
  interned.set(t.text, t);
  return t;
}

export const intType = (width: number): IntType => intern(new IntType(width));
export const floatType = (kind: FloatKind): FloatType => intern(new FloatType(kind));
export const pointerType = (pointee: Type, addressSpace = 1): PointerType => intern(new PointerType(pointee, addressSpace));
export const tensorType = (shape: readonly number[], element: ScalarType, encoding?: Layout): TensorType =>
  intern(new TensorType([...shape], element, encoding));
export const memDescType = (shape: readonly number[], element: ScalarType, encoding: SharedEncoding): MemDescType =>
  intern(new MemDescType([...shape], element, encoding));
export const functionType = (inputs: readonly Type[], results: readonly Type[]): FunctionType =>
  intern(new FunctionType(inputs, results));

export const i1 = intType(1);
export const i8 = intType(8);
export const i16 = intType(16);
export const i32 = intType(32);
export const i64 = intType(64);
export const f16 = floatType('f16');
export const bf16 = floatType('bf16');
export const f32 = floatType('f32');
export const f64 = floatType('f64');

/** The element type of a tensor, or the type itself for a scalar. */
export function elementType(t: Type): ScalarType {
  if (t instanceof TensorType || t instanceof MemDescType) return t.element;
  if (t instanceof IntType || t instanceof FloatType || t instanceof PointerType) return t;
  throw new Error(`type ${t.text} has no element type`);
}

/** The static shape of a value's type; [] for a scalar. */
export function shapeOf(t: Type): readonly number[] {
  return t instanceof TensorType || t instanceof MemDescType ? t.shape : [];
}

/** The same shape (and layout) as `like` (scalar or tensor), with another element type. */
export function withElement(like: Type, element: ScalarType): Type {
  return like instanceof TensorType ? tensorType(like.shape, element, like.encoding) : element;
}

/** The layout of a tensor type, if it has one. */
export function encodingOf(t: Type): Layout | undefined {
  return t instanceof TensorType ? t.encoding : undefined;
}

/** The same tensor type with another layout (or none). */
export function withEncoding(t: TensorType, encoding: Layout | undefined): TensorType {
  return tensorType(t.shape, t.element, encoding);
}

export const isIntLike = (t: Type): boolean => elementType(t) instanceof IntType;
export const isFloatLike = (t: Type): boolean => elementType(t) instanceof FloatType;
export const isPointerLike = (t: Type): boolean => elementType(t) instanceof PointerType;
export const isScalarType = (t: Type): t is ScalarType =>
  t instanceof IntType || t instanceof FloatType || t instanceof PointerType;

/** Bit width of a scalar element; pointers are 64-bit. */
export function bitWidth(t: ScalarType): number {
  return t instanceof PointerType ? 64 : t.width;
}
