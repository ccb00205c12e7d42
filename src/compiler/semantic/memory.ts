// Loads, stores and atomics: pointer checks, mask and `other` handling, and broadcasting, as in Triton.
import { SemanticError } from './errors.ts';
import { PointerDType, dtypes, pointerTo, type DType } from './dtype.ts';
import { describe, type Semantic } from './semantic.ts';
import { TValue, type Operand } from './values.ts';
import type { Attributes } from '../ir/attributes.ts';

export const loadCacheModifiers = ['', '.ca', '.cg', '.cv'] as const;
export const storeCacheModifiers = ['', '.wb', '.cg', '.cs', '.wt'] as const;
export const evictionPolicies = ['', 'evict_normal', 'evict_first', 'evict_last'] as const;
export const semantics = ['relaxed', 'acquire', 'release', 'acq_rel'] as const;
export const scopes = ['gpu', 'cta', 'sys'] as const;

export interface LoadOptions {
  mask?: Operand;
  other?: Operand;
  cacheModifier?: string;
  evictionPolicy?: string;
  volatile?: boolean;
}

export interface StoreOptions {
  mask?: Operand;
  cacheModifier?: string;
  evictionPolicy?: string;
}

export interface AtomicOptions {
  mask?: Operand;
  sem?: string;
  scope?: string;
}

function pointerOperand(x: Operand, what: string): TValue {
  if (!(x instanceof TValue) || !x.type.isPointer) {
    throw new SemanticError(`${what} needs a pointer or a tile of pointers, got ${describe(x)}`, 'add offsets to a pointer argument, e.g. x + offs');
  }
  return x;
}

function pointee(p: TValue): DType {
  return (p.type.element as PointerDType).pointee;
}

function checkChoice(value: string | undefined, allowed: readonly string[], what: string): string {
  const v = value ?? '';
  if (!allowed.includes(v)) throw new SemanticError(`${what} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(v)}`);
  return v;
}

/** Brings pointer and mask to one shape; a tile mask spreads a scalar pointer, never the reverse for stores. */
function shapePointerAndMask(s: Semantic, ptr: TValue, mask: Operand | undefined, what: string): [TValue, TValue | undefined] {
  if (mask === undefined) return [ptr, undefined];
  let m = s.toBool(mask);
  let p = ptr;
  if (m.type.isBlock && !p.type.isBlock && what === 'store') {
    throw new SemanticError('store: the mask is a tile but the pointer is a scalar', 'make the pointer a tile too');
  }
  const shape = s.broadcastShapes(p.type.shape, m.type.shape);
  p = s.broadcastTo(p, shape);
  m = s.broadcastTo(m, shape);
  return [p, m];
}

export function load(s: Semantic, ptrArg: Operand, opts: LoadOptions = {}): TValue {
  let [ptr, mask] = shapePointerAndMask(s, pointerOperand(ptrArg, 'load'), opts.mask, 'load');
  if (opts.other !== undefined && mask === undefined) throw new SemanticError('load: `other` needs a `mask`', 'pass {mask, other}');
  const el = pointee(ptr);
  const attrs: Attributes = {};
  const cache = checkChoice(opts.cacheModifier, loadCacheModifiers, 'cacheModifier');
  const evict = checkChoice(opts.evictionPolicy, evictionPolicies, 'evictionPolicy');
  if (cache) attrs['cache'] = cache;
  if (evict && evict !== 'evict_normal') attrs['evict'] = evict;
  if (opts.volatile) attrs['isVolatile'] = true;
  // Booleans live in memory as bytes: load a byte and compare with zero.
  const memEl = el.isBool ? dtypes.i8 : el;
  if (el.isBool) ptr = s.cast(ptr, pointerTo(dtypes.i8));
  let other: TValue | undefined;
  if (opts.other !== undefined) {
    const o = s.toValue(opts.other, el.isBool ? undefined : el);
    other = s.broadcastTo(s.cast(s.cast(o, el), memEl), ptr.type.shape);
  }
  const rt = ptr.type.withElement(memEl);
  const operands = [ptr.ir, ...(mask ? [mask.ir] : []), ...(other ? [other.ir] : [])];
  const loaded = new TValue(s.b.value('tt.load', operands, rt.ir, attrs), rt);
  return el.isBool ? s.cast(loaded, dtypes.i1) : loaded;
}

export function store(s: Semantic, ptrArg: Operand, value: Operand, opts: StoreOptions = {}): void {
  let [ptr, mask] = shapePointerAndMask(s, pointerOperand(ptrArg, 'store'), opts.mask, 'store');
  const el = pointee(ptr);
  let v = s.toValue(value, value instanceof TValue ? undefined : el.isBool ? dtypes.i1 : el);
  // A pointer is stored as its address, into 64-bit integer memory (Triton's store casts the value to the element type).
  if (v.type.isPointer && el !== dtypes.i64 && el !== dtypes.u64) {
    throw new SemanticError(`store: a pointer can only be stored into 64-bit integer memory, not ${el.name}`, 'store to an int64 tensor (the value is its address)');
  }
  if (v.type.isBlock && !ptr.type.isBlock) {
    throw new SemanticError(`store: the value is a tile (${v.type}) but the pointer is a scalar`, 'store through a tile of pointers, e.g. out + offs');
  }
  v = s.broadcastTo(s.cast(v, el), ptr.type.shape);
  if (el.isBool) {
    ptr = s.cast(ptr, pointerTo(dtypes.i8));
    v = s.cast(v, dtypes.i8);
  }
  const attrs: Attributes = {};
  const cache = checkChoice(opts.cacheModifier, storeCacheModifiers, 'cacheModifier');
  const evict = checkChoice(opts.evictionPolicy, evictionPolicies, 'evictionPolicy');
  if (cache) attrs['cache'] = cache;
  if (evict && evict !== 'evict_normal') attrs['evict'] = evict;
  s.b.create('tt.store', [ptr.ir, v.ir, ...(mask ? [mask.ir] : [])], [], attrs);
}

export type AtomicKind = 'add' | 'max' | 'min' | 'xchg' | 'and' | 'or' | 'xor';

function atomicAttrs(opts: AtomicOptions): { sem: string; scope: string } {
  return {
    sem: checkChoice(opts.sem ?? 'acq_rel', semantics, 'sem'),
    scope: checkChoice(opts.scope ?? 'gpu', scopes, 'scope'),
  };
}

export function atomicRmw(s: Semantic, kind: AtomicKind, ptrArg: Operand, value: Operand, opts: AtomicOptions = {}): TValue {
  const what = `atomic${kind[0]!.toUpperCase()}${kind.slice(1)}`;
  let [ptr, mask] = shapePointerAndMask(s, pointerOperand(ptrArg, what), opts.mask, 'atomic');
  const el = pointee(ptr);
  if (el.isBool) throw new SemanticError(`${what} does not support bool memory`);
  if (el.isFp8) throw new SemanticError(`${what} does not support ${el.name} memory`, 'atomics need 16-bit or wider elements; fp8 values can only be loaded, stored and converted');
  if (el.bits < 16 && kind !== 'xchg') throw new SemanticError(`${what} needs 16-bit or wider elements, got ${el.name}`);
  let v = s.toValue(value, value instanceof TValue ? undefined : el);
  const shape = s.broadcastShapes(ptr.type.shape, v.type.shape);
  ptr = s.broadcastTo(ptr, shape);
  if (mask) mask = s.broadcastTo(mask, shape);
  v = s.broadcastTo(s.cast(v, el), shape);
  const attrs = atomicAttrs(opts);
  if ((kind === 'and' || kind === 'or' || kind === 'xor') && el.isFloat) throw new SemanticError(`${what} needs integer memory, got ${el.name}`);
  if ((kind === 'max' || kind === 'min') && el.isFloat) return floatMinMax(s, kind, ptr, v, mask, attrs);
  const op =
    kind === 'add' ? (el.isFloat ? 'fadd' : 'add')
    : kind === 'max' ? (el.isUnsigned ? 'umax' : 'max')
    : kind === 'min' ? (el.isUnsigned ? 'umin' : 'min')
    : kind;
  return rmw(s, op, ptr, v, mask, attrs);
}

function rmw(s: Semantic, op: string, ptr: TValue, v: TValue, mask: TValue | undefined, attrs: { sem: string; scope: string }): TValue {
  const operands = [ptr.ir, v.ir, ...(mask ? [mask.ir] : [])];
  return new TValue(s.b.value('tt.atomic_rmw', operands, v.type.ir, { atomic_rmw_op: op, ...attrs }), v.type);
}

/**
 * Float max/min through integer atomics, as Triton does: for non-negative floats the bit patterns order
 * like signed integers, for negative ones like unsigned integers in reverse.
 */
function floatMinMax(s: Semantic, kind: 'max' | 'min', ptr: TValue, v: TValue, mask: TValue | undefined, attrs: { sem: string; scope: string }): TValue {
  const el = v.type.dtype;
  if (el.bits < 32) throw new SemanticError(`atomic ${kind} on floats needs f32 or f64, got ${el.name}`);
  const [sInt, uInt] = el.bits === 32 ? [dtypes.i32, dtypes.u32] : [dtypes.i64, dtypes.u64];
  const nonNeg = s.compare('>=', v, s.constant(0, el));
  const neg = s.compare('<', v, s.constant(0, el));
  const withMask = (m: TValue): TValue => (mask ? s.logicalAnd(mask, m) : m);
  const sPtr = s.cast(ptr, pointerTo(sInt), true);
  const uPtr = s.cast(ptr, pointerTo(uInt), true);
  const posOld = rmw(s, kind, sPtr, s.cast(v, sInt, true), withMask(nonNeg), attrs);
  const negOld = rmw(s, kind === 'max' ? 'umin' : 'umax', uPtr, s.cast(v, uInt, true), withMask(neg), attrs);
  return s.cast(s.where(nonNeg, posOld, s.cast(negOld, sInt, true)), el, true);
}

export function atomicCas(s: Semantic, ptrArg: Operand, cmp: Operand, value: Operand, opts: AtomicOptions = {}): TValue {
  let ptr = pointerOperand(ptrArg, 'atomicCas');
  const el = pointee(ptr);
  if (![16, 32, 64].includes(el.bits)) throw new SemanticError(`atomicCas needs 16-, 32- or 64-bit elements, got ${el.name}`);
  let c = s.toValue(cmp, cmp instanceof TValue ? undefined : el);
  let v = s.toValue(value, value instanceof TValue ? undefined : el);
  const shape = s.broadcastShapes(s.broadcastShapes(ptr.type.shape, c.type.shape), v.type.shape);
  ptr = s.broadcastTo(ptr, shape);
  c = s.broadcastTo(s.cast(c, el), shape);
  v = s.broadcastTo(s.cast(v, el), shape);
  return new TValue(s.b.value('tt.atomic_cas', [ptr.ir, c.ir, v.ir], v.type.ir, atomicAttrs(opts)), v.type);
}
