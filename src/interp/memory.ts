// The interpreter's memory for one launch. Each tensor argument gets a region of a flat address space, so a
// pointer is a plain number and pointer arithmetic is addition, as on the GPU; every access is checked
// against the tensor the address falls in, and an access outside it stops the launch with the source line.
// Above the arguments' band lie host tensors' dataPtr() addresses (runtime/tensor.ts): a pointer loaded from
// memory reaches those tensors, with the same checks.
//
// Addresses are numbers, exact below 2^53. An int64 outside the range of addresses converted to a pointer
// (tt.int_to_ptr) is given a number far below zero, standing for it, so that converting back (tt.ptr_to_int) gives
// the same int64: such a pointer can be compared, selected and offset, but points into no tensor.
import { presentToUser } from '../user-errors.ts';
import { displayPath, locationSpan, renderDiagnostic } from '../compiler/diagnostics.ts';
import { outermostLocation, type Location } from '../compiler/ir/core.ts';
import { HOST_ADDRESS_BASE, HOST_ADDRESS_END, Tensor, hostSlotAt, markWritten, storageArray, type TypedArray } from '../runtime/tensor.ts';
import { dtypes, type DType } from '../compiler/semantic/dtype.ts';

/** Regions are 2^44 bytes apart; a tensor's first byte sits in the middle, so stray offsets either way stay in its region. */
export const REGION_BYTES = 2 ** 44;
const REGION_CENTER = 2 ** 43;
/** Tensor arguments' regions end where host tensors' addresses begin. */
const MAX_ARGUMENTS = HOST_ADDRESS_BASE / REGION_BYTES - 1;

export const regionBase = (k: number): number => k * REGION_BYTES + REGION_CENTER;

/** Where the numbers standing for int64s outside (-2^51, HOST_ADDRESS_END) start, counting down; each has 2^31 bytes either way for offsets. */
const WIDE_FLOOR = 2 ** 52;
const WIDE_SPACING = 2 ** 32;
const MAX_WIDE = 2 ** 19;

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
  /** The tensor, for messages: "tensor argument 'x'", or a host tensor reached through a loaded pointer. */
  readonly what: string;
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
    presentToUser(this, ['loc']);
  }
}

const emptyView = new Float32Array(0);

export class LaunchMemory {
  /** The tensor arguments' regions, in order. */
  protected readonly regions: Region[] = [];
  /** Host tensors reached through loaded pointers, by base address. */
  private readonly hosted = new Map<number, Region>();
  /** The int64s that tt.int_to_ptr gave numbers below -WIDE_FLOOR, and the index of each. */
  private readonly wide: bigint[] = [];
  private readonly wideIndex = new Map<bigint, number>();
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
    if (this.regions.length === MAX_ARGUMENTS) throw new TypeError(`the interpreter maps at most ${MAX_ARGUMENTS} tensor arguments; pass more tensors as a table of their dataPtr()s`);
    const region = { what: `tensor argument '${name}'`, tensor, base: regionBase(this.regions.length + 1), bytes: tensor.span * tensor.dtype.bytes, views: new Map() };
    this.regions.push(region);
    this.addRegion(region, false);
    return region.base;
  }

  /**
   * Called for each region as it is mapped: an argument's when the launch starts, a host tensor's when a
   * loaded pointer first reaches it. A plain launch keeps no record of what it writes: the sanitizer counts a
   * host tensor reached so as written from now on (the interpreter does the same for arguments).
   */
  protected addRegion(region: Region, hosted: boolean): void {
    if (hosted) markWritten(region.tensor.storage);
  }

  /** The region whose address range (with its margins) holds `addr`, mapping a live host tensor on first use. */
  private regionAt(addr: number): Region | undefined {
    if (addr < HOST_ADDRESS_BASE) return this.regions[Math.floor(addr / REGION_BYTES) - 1];
    const slot = hostSlotAt(addr);
    const storage = slot?.storage.deref();
    if (!slot || !storage) return undefined;
    let region = this.hosted.get(slot.base);
    if (!region) {
      const tensor = new Tensor(slot.dtype, [Math.floor(storage.byteLength / slot.dtype.bytes)], storage);
      const what = `the host tensor at ${hex(BigInt(slot.base))} (${storage.byteLength} bytes of storage, reached through a pointer loaded from memory)`;
      region = { what, tensor, base: slot.base, bytes: storage.byteLength, views: new Map() };
      this.hosted.set(slot.base, region);
      this.addRegion(region, true);
    }
    return region;
  }

  /** tt.int_to_ptr: the address `v` as a number, or the number standing for it outside the range of addresses (see the top of this file). */
  intToPtr(v: bigint): number {
    if (v > -(2 ** 51) && v < HOST_ADDRESS_END) return Number(v);
    let k = this.wideIndex.get(v);
    if (k === undefined) {
      if (this.wide.length === MAX_WIDE) throw new KernelRuntimeError(`kernel '${this.kernelName}' converts more than ${MAX_WIDE} distinct int64s outside the range of addresses to pointers, more than the interpreter can hold`, undefined);
      k = this.wide.push(v) - 1;
      this.wideIndex.set(v, k);
    }
    return -(WIDE_FLOOR + k * WIDE_SPACING);
  }

  /** tt.ptr_to_int: the int64 of address `p`, exactly the one tt.int_to_ptr was given (plus any offset since). */
  ptrToInt(p: number): bigint {
    const k = Math.round((-p - WIDE_FLOOR) / WIDE_SPACING);
    const v = this.wide[k];
    if (v === undefined) return BigInt.asIntN(64, BigInt(p));
    return BigInt.asIntN(64, v + BigInt(p + WIDE_FLOOR + k * WIDE_SPACING));
  }

  private view(region: Region, element: string, bytes: number): TypedArray {
    let v = region.views.get(element);
    if (!v) {
      const t = region.tensor;
      const byteOffset = t.offset * t.dtype.bytes;
      if (byteOffset % bytes !== 0) throw new KernelRuntimeError(`${region.what} starts at a byte offset not aligned for ${element} accesses`, undefined);
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
    const region = this.regionAt(addr);
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
      detail = this.strayAddress(addr);
    } else {
      const t = region.tensor;
      const count = Math.floor(region.bytes / site.bytes);
      const what = `${region.what} (${t.dtype.name}, shape [${t.shape.join(', ')}], ${count} ${site.element} elements)`;
      detail =
        offset !== Math.floor(offset)
          ? `misaligned ${site.element} access at byte offset ${addr - region.base} of ${what}`
          : `element offset ${offset} is outside ${what}`;
    }
    return this.error(`out-of-bounds ${site.kind} in kernel '${this.kernelName}' (${where}): ${detail}`, site.loc, accessHint(site, region));
  }

  /** Why an address that falls in no region is wrong. */
  private strayAddress(addr: number): string {
    const at = `address ${hex(this.ptrToInt(addr))}`;
    if (hostSlotAt(addr)) return `${at} points into a host tensor that no longer exists (its storage was garbage-collected after its dataPtr() was taken)`;
    return `${at} points into no tensor of this launch: neither into a tensor argument nor into a host tensor whose dataPtr() was taken (a pointer not derived from either, or offsets far out of range)`;
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

/** What to do about an access outside every tensor: mask it, or, for an address in no tensor, make it a real one. */
function accessHint(site: OpSite, region: Region | undefined): string {
  if (!region) return "a pointer made from an integer must hold an address from a tensor's dataPtr(), plus offsets within that tensor";
  if (site.kind === 'store') return 'mask the store: tl.store(ptr, value, { mask: offs < n })';
  return site.kind === 'load' ? 'mask the load: tl.load(ptr, { mask: offs < n, other: 0 })' : 'mask the atomic: { mask: offs < n }';
}

const hex = (v: bigint): string => `0x${BigInt.asUintN(64, v).toString(16)}`;

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

