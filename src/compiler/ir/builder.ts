// Creates ops at an insertion point, stamping each with the current source location.
import { DenseAttr, FloatAttr, IntegerAttr, type Attributes } from './attributes.ts';
import { Block, Operation, type Location, type Region, type Value } from './core.ts';
import type { Layout } from './layouts.ts';
import { FloatType, IntType, TensorType, withEncoding, type ScalarType, type Type } from './types.ts';

export class Builder {
  /** Ops are inserted before this op, or at the end of `block` when it is undefined. */
  before: Operation | undefined;
  constructor(
    public block: Block,
    public loc: Location,
  ) {}

  create(name: string, operands: Value[], resultTypes: readonly Type[], attrs: Attributes = {}, regions: Region[] = []): Operation {
    const op = new Operation(name, operands, resultTypes, attrs, regions, this.loc);
    if (this.before) this.block.insertBefore(this.before, op);
    else this.block.append(op);
    return op;
  }

  /** Creates an op with exactly one result and returns that result. */
  value(name: string, operands: Value[], resultType: Type, attrs: Attributes = {}, regions: Region[] = []): Value {
    return this.create(name, operands, [resultType], attrs, regions).result;
  }

  /** A scalar or splat-tensor constant of `type`. `value` is a bigint or integral number for integers. */
  constant(value: number | bigint | boolean, type: Type): Value {
    return this.value('arith.constant', [], type, { value: constantAttr(value, type) });
  }

  /** Runs `fn` with the insertion point at the end of `block`, then restores it. */
  inBlock<T>(block: Block, fn: () => T): T {
    const saved = [this.block, this.before] as const;
    this.block = block;
    this.before = undefined;
    try {
      return fn();
    } finally {
      [this.block, this.before] = saved;
    }
  }

  /** Runs `fn` with `loc` as the current location, then restores it. */
  at<T>(loc: Location, fn: () => T): T {
    const saved = this.loc;
    this.loc = loc;
    try {
      return fn();
    } finally {
      this.loc = saved;
    }
  }
}

/** The attribute for a constant of `type` (a scalar type, or a tensor type for a splat). */
export function constantAttr(value: number | bigint | boolean, type: Type): IntegerAttr | FloatAttr | DenseAttr {
  if (type instanceof TensorType) return new DenseAttr(scalarAttr(value, type.element), type);
  return scalarAttr(value, type as ScalarType);
}

function scalarAttr(value: number | bigint | boolean, type: ScalarType): IntegerAttr | FloatAttr {
  if (type instanceof IntType) {
    const v = typeof value === 'bigint' ? value : BigInt(typeof value === 'boolean' ? Number(value) : Math.trunc(value));
    // Stored signless but canonical: two's complement wrapped, read as signed (i1 as 0/1).
    return new IntegerAttr(type.width === 1 ? v & 1n : BigInt.asIntN(type.width, v), type);
  }
  if (type instanceof FloatType) return new FloatAttr(Number(value), type);
  throw new Error(`no constant of type ${type.text}`);
}

/** A ttg.convert_layout of tile `x` to `layout` (not yet in a block). */
export function convertLayout(x: Value, layout: Layout, loc: Location): Operation {
  return new Operation('ttg.convert_layout', [x], [withEncoding(x.type as TensorType, layout)], {}, [], loc);
}
