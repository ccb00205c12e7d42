// The interpreter's memory for one launch. Each tensor argument gets a region of a flat address space, so a
// pointer is a plain number and pointer arithmetic is addition, as on the GPU; every access is checked
// against the tensor the address falls in, and an access outside it stops the launch with the source line.
import { displayPath, locationSpan, renderDiagnostic } from '../compiler/diagnostics.ts';
import { outermostLocation, type Location } from '../compiler/ir/core.ts';
import { storageArray, type Tensor, type TypedArray } from '../runtime/tensor.ts';
import { dtypes, type DType } from '../compiler/semantic/dtype.ts';

/** Regions are 2^44 bytes apart; a tensor's first byte sits in the middle, so stray offsets either way stay in its region. */
export const REGION_BYTES = 2 ** 44;
const REGION_CENTER = 2 ** 43;

export const regionBase = (k: number): number => k * REGION_BYTES + REGION_CENTER;

/**
 * What the interpreter knows about each memory, print or assert op, for its messages (and, in a sanitized
 * program, each checked division, index arithmetic op and loop).
 */
export interface OpSite {
  readonly kind: 'load' | 'store' | 'atomic' | 'print' | 'assert' | 'assume' | 'division' | 'arithmetic' | 'loop';
  readonly loc: Location;
  /** The IR type name of the pointee (f32, i8, ...). */
  readonly element: string;
  readonly bytes: number;
  /** The op's tile shape ([] for a scalar access). */
  readonly shape: readonly number[];
  /** The op's name, for the sanitizer (arith.divsi, tt.atomic_rmw, ...); and an atomic's kind (add, xchg, ...). */
  readonly op?: string;
  readonly rmw?: string;
}

/** The last region an op touched, so that most accesses skip the lookup. */
export interface Cursor {
  base: number;
  n: number;
  arr: TypedArray;
}

export interface Region {
  readonly name: string;
  readonly tensor: Tensor;
  readonly base: number;
  readonly bytes: number;
  readonly views: Map<string, TypedArray>;
}

/** An access outside every tensor, or a failed deviceAssert: raised while the kernel runs. */
export class KernelRuntimeError extends Error {
  constructor(
    message: string,
    readonly loc: Location | undefined,
  ) {
    super(message);
    this.name = 'KernelRuntimeError';
  }
}

const emptyView = new Float32Array(0);

export class LaunchMemory {
  protected readonly regions: Region[] = [];
  readonly cursors: Cursor[];
  /** The program being run, for messages. */
  pid: [number, number, number] = [0, 0, 0];

  constructor(
    readonly kernelName: string,
    readonly sites: readonly OpSite[],
    readonly printLine: (line: string) => void = (line) => console.log(line),
  ) {
    this.cursors = sites.map(() => ({ base: NaN, n: 0, arr: emptyView }));
  }

  /** Maps a tensor argument into the address space; returns the address of its first element. */
  addTensor(name: string, tensor: Tensor): number {
    const base = regionBase(this.regions.length + 1);
    this.regions.push({ name, tensor, base, bytes: tensor.span * tensor.dtype.bytes, views: new Map() });
    return base;
  }

  private view(region: Region, element: string, bytes: number): TypedArray {
    let v = region.views.get(element);
    if (!v) {
      const t = region.tensor;
      const byteOffset = t.offset * t.dtype.bytes;
      if (byteOffset % bytes !== 0) throw new KernelRuntimeError(`tensor argument '${region.name}' starts at a byte offset not aligned for ${element} accesses`, undefined);
      v = storageArray(viewDType(element), t.hostBuffer(), byteOffset, Math.floor(region.bytes / bytes));
      region.views.set(element, v);
    }
    return v;
  }

  /**
   * Points `cur` at the region holding `addr` and returns the element index there; throws if the access
   * falls outside every tensor. `lane` is the element's position in the op's tile.
   */
  resolve(cur: Cursor, addr: number, siteId: number, lane: number): number {
    const site = this.sites[siteId]!;
    const k = Math.floor(addr / REGION_BYTES);
    const region = this.regions[k - 1];
    const offset = region ? (addr - region.base) / site.bytes : NaN;
    if (!region || !(offset >= 0 && offset * site.bytes + site.bytes <= region.bytes) || offset !== Math.floor(offset)) {
      throw this.outOfBounds(site, addr, region, offset, lane);
    }
    cur.base = region.base;
    cur.arr = this.view(region, site.element, site.bytes);
    cur.n = cur.arr.length;
    return offset;
  }

  private outOfBounds(site: OpSite, addr: number, region: Region | undefined, offset: number, lane: number): KernelRuntimeError {
    const where = this.describeSite(site, lane);
    let detail: string;
    if (!region) {
      detail = `address ${addr} points into no tensor argument (a pointer not derived from an argument, or offsets far out of range)`;
    } else {
      const t = region.tensor;
      const count = Math.floor(region.bytes / site.bytes);
      const what = `tensor argument '${region.name}' (${t.dtype.name}, shape [${t.shape.join(', ')}], ${count} ${site.element} elements)`;
      detail =
        offset !== Math.floor(offset)
          ? `misaligned ${site.element} access at byte offset ${addr - region.base} of ${what}`
          : `element offset ${offset} is outside ${what}`;
    }
    const hint = site.kind === 'store' ? 'mask the store: tl.store(ptr, value, { mask: offs < n })' : site.kind === 'load' ? 'mask the load: tl.load(ptr, { mask: offs < n, other: 0 })' : 'mask the atomic: { mask: offs < n }';
    return this.error(`out-of-bounds ${site.kind} in kernel '${this.kernelName}' (${where}): ${detail}`, site.loc, hint);
  }

  protected describeSite(site: OpSite, lane: number): string {
    const pid = `program (${this.pid.join(', ')})`;
    if (!site.shape.length) return pid;
    const idx: number[] = [];
    let rest = lane;
    for (let d = site.shape.length - 1; d >= 0; d--) {
      idx.unshift(rest % site.shape[d]!);
      rest = Math.floor(rest / site.shape[d]!);
    }
    return `${pid}, tile index [${idx.join(', ')}] of ${site.shape.join('x')}`;
  }

  error(message: string, loc: Location, hint?: string): KernelRuntimeError {
    const outer = outermostLocation(loc);
    const notes = loc.callsite ? [`inlined from ${displayPath(outer.file)}:${outer.line}:${outer.col}`] : [];
    return new KernelRuntimeError(renderDiagnostic('error', message, locationSpan(loc), hint, notes), loc);
  }

  /** Raises the failure of a deviceAssert, or of a tl.assume's promise. */
  assertFailed(siteId: number, lane: number, message: string | undefined): never {
    const site = this.sites[siteId]!;
    const where = `in kernel '${this.kernelName}' (${this.describeSite(site, lane)})`;
    if (site.kind === 'assume') {
      throw this.error(`assumption does not hold ${where}: the condition of tl.assume is false`, site.loc, 'tl.assume promises the compiler a condition that always holds; make it hold, or check it with tl.deviceAssert');
    }
    throw this.error(`device assertion failed ${where}: ${message}`, site.loc);
  }

  /** Prints one element for devicePrint, in Triton's format. */
  print(siteId: number, lane: number, prefix: string, values: readonly unknown[], hex: boolean): void {
    const site = this.sites[siteId]!;
    const fmt = (v: unknown): string => {
      if (hex && (typeof v === 'number' || typeof v === 'bigint')) return `0x${(typeof v === 'bigint' ? BigInt.asUintN(64, v) : v >>> 0).toString(16)}`;
      return String(v);
    };
    const idx = site.shape.length ? ` idx (${this.describeSite(site, lane).replace(/.*tile index \[(.*)\].*/, '$1')})` : '';
    this.printLine(`pid (${this.pid.join(', ')})${idx} ${prefix}${values.map(fmt).join(', ')}`);
  }
}

function viewDType(element: string): DType {
  switch (element) {
    case 'i1':
      return dtypes.u8;
    case 'i8':
      return dtypes.i8;
    case 'i16':
      return dtypes.i16;
    case 'i32':
      return dtypes.i32;
    case 'i64':
      return dtypes.i64;
    case 'f16':
    case 'bf16':
      return dtypes.u16;
    case 'f8E4M3FN':
    case 'f8E5M2':
      return dtypes.u8;
    case 'f32':
      return dtypes.f32;
    case 'f64':
      return dtypes.f64;
  }
  throw new KernelRuntimeError(`the interpreter cannot access memory as ${element}`, undefined);
}

