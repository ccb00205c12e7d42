// The language's scalar types. Unlike IR types (signless, as in MLIR), dtypes know their signedness:
// the semantic layer reads it to pick signed or unsigned ops, and tensors use it to store and print values.
import { bf16, f16, f32, f64, floatType, i1, i16, i32, i64, i8, type FloatType, type IntType } from '../ir/types.ts';

export type DTypeName = 'i1' | 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64' | 'f8e4m3' | 'f8e5m2' | 'f16' | 'bf16' | 'f32' | 'f64';

export type DTypeKind = 'bool' | 'uint' | 'int' | 'float';
/**
 * Order of kinds used by Triton's promotion of literals (tl.dtype.kind()): bool < integer < float, signed and
 * unsigned integers being one kind, so that `x_u8 + 1` stays u8 and `x_u32 % 3` is u32 (a literal's i32 does not
 * take part).
 */
const kindRank: Record<DTypeKind, number> = { bool: 0, uint: 1, int: 1, float: 2 };

export class DType {
  constructor(
    readonly name: DTypeName,
    readonly kind: DTypeKind,
    readonly bits: number,
    /** Triton's spelling (tl.float16), accepted wherever a dtype name is. */
    readonly tritonName: string,
    readonly ir: IntType | FloatType,
  ) {}
  get isFloat(): boolean {
    return this.kind === 'float';
  }
  /** Integers, including bool (as in Triton's is_int). */
  get isInt(): boolean {
    return this.kind !== 'float';
  }
  get isSigned(): boolean {
    return this.kind === 'int' || this.kind === 'bool';
  }
  get isUnsigned(): boolean {
    return this.kind === 'uint';
  }
  get isBool(): boolean {
    return this.kind === 'bool';
  }
  /** The 8-bit floats (e4m3, e5m2): kernels load, store, move and convert them, and compute after converting. */
  get isFp8(): boolean {
    return this.kind === 'float' && this.bits === 8;
  }
  /** Bytes per element in memory; bool takes a byte. */
  get bytes(): number {
    return Math.max(1, this.bits / 8);
  }
  get kindRank(): number {
    return kindRank[this.kind];
  }
  /** Significand bits (fp mantissa width), used by Triton's division typing. */
  get mantissaBits(): number {
    return { f8e4m3: 3, f8e5m2: 2, f16: 10, bf16: 7, f32: 23, f64: 52 }[this.name as 'f16'] ?? 0;
  }
  get intMin(): bigint {
    if (this.isBool) return 0n;
    return this.isUnsigned ? 0n : -(1n << BigInt(this.bits - 1));
  }
  get intMax(): bigint {
    if (this.isBool) return 1n;
    return this.isUnsigned ? (1n << BigInt(this.bits)) - 1n : (1n << BigInt(this.bits - 1)) - 1n;
  }
  toString(): string {
    return this.name;
  }
}

const make = (name: DTypeName, kind: DTypeKind, bits: number, tritonName: string, ir: IntType | FloatType): DType =>
  new DType(name, kind, bits, tritonName, ir);

export const dtypes = {
  i1: make('i1', 'bool', 1, 'int1', i1),
  i8: make('i8', 'int', 8, 'int8', i8),
  i16: make('i16', 'int', 16, 'int16', i16),
  i32: make('i32', 'int', 32, 'int32', i32),
  i64: make('i64', 'int', 64, 'int64', i64),
  u8: make('u8', 'uint', 8, 'uint8', i8),
  u16: make('u16', 'uint', 16, 'uint16', i16),
  u32: make('u32', 'uint', 32, 'uint32', i32),
  u64: make('u64', 'uint', 64, 'uint64', i64),
  // OCP E4M3FN (no infinities, max 448) and E5M2 (IEEE-like, max 57344): NVIDIA's e4m3 and e5m2, Triton's
  // float8e4nv and float8e5, MLIR's f8E4M3FN and f8E5M2 (see src/numerics.ts).
  f8e4m3: make('f8e4m3', 'float', 8, 'float8e4nv', floatType('f8E4M3FN')),
  f8e5m2: make('f8e5m2', 'float', 8, 'float8e5', floatType('f8E5M2')),
  f16: make('f16', 'float', 16, 'float16', f16),
  bf16: make('bf16', 'float', 16, 'bfloat16', bf16),
  f32: make('f32', 'float', 32, 'float32', f32),
  f64: make('f64', 'float', 64, 'float64', f64),
} as const satisfies Record<DTypeName, DType>;

export const allDTypes: readonly DType[] = Object.values(dtypes);

const aliases: Record<string, DTypeName> = {
  bool: 'i1',
  int1: 'i1',
  fp16: 'f16',
  half: 'f16',
  fp32: 'f32',
  float: 'f32',
  fp64: 'f64',
  double: 'f64',
  // Triton's reprs of its fp8 dtypes, and PyTorch's names.
  fp8e4nv: 'f8e4m3',
  fp8e5: 'f8e5m2',
  float8_e4m3fn: 'f8e4m3',
  float8_e5m2: 'f8e5m2',
};

/** Looks up a dtype by kt name (f16), Triton name (float16, bfloat16, int32) or common alias (fp16, bool). */
export function dtypeByName(name: string): DType | undefined {
  const n = name.replace(/^tl\./, '');
  if (n in dtypes) return dtypes[n as DTypeName];
  const byTriton = allDTypes.find((d) => d.tritonName === n);
  if (byTriton) return byTriton;
  const alias = aliases[n];
  return alias ? dtypes[alias] : undefined;
}

export function dtypeNames(): string {
  return allDTypes.map((d) => d.name).join(', ');
}

/** A pointer to elements of a dtype: the element of a pointer tensor. */
export class PointerDType {
  constructor(readonly pointee: DType) {}
  toString(): string {
    return `!tt.ptr<${this.pointee.name}>`;
  }
}

const pointers = new Map<DType, PointerDType>();
/** The interned pointer dtype to `pointee`, so that pointer dtypes compare with ===. */
export function pointerTo(pointee: DType): PointerDType {
  let p = pointers.get(pointee);
  if (!p) pointers.set(pointee, (p = new PointerDType(pointee)));
  return p;
}

export type ElementType = DType | PointerDType;
