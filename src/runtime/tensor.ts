// Tensors: a dtype, a shape, strides and storage. Host storage is an ArrayBuffer; GPU storage is a device
// allocation (`.cuda()` and `.cpu()` copy between them). 16- and 8-bit floats are stored as their bits (round to
// nearest even on the way in; fp8 saturates to its largest finite value, as kernels' conversions do). Kernels
// receive tensors as pointers.
import { DType, dtypeByName, dtypeNames, dtypes, type DTypeName } from '../compiler/semantic/dtype.ts';
import { bf16FromBits, bf16ToBits, bigIntToDoubleOdd, e4m3FromBits, e4m3ToBits, e5m2FromBits, e5m2ToBits, f16FromBits, f16ToBits, normalQuantile } from '../numerics.ts';
import { DeviceAllocation, allocate, copyOnDevice, copyToDevice, copyToHost, fillDevice } from './gpu.ts';
import { sanitizeAll } from '../interp/sanitize-settings.ts';

/** Where a tensor's storage lives. */
export type Device = 'cpu' | 'cuda';

export type DTypeSpec = DType | DTypeName | string;

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export function toDType(spec: DTypeSpec): DType {
  if (spec instanceof DType) return spec;
  const d = dtypeByName(spec);
  if (!d) throw new TypeError(`unknown dtype '${spec}'; kt's dtypes are ${dtypeNames()} (Triton's names such as float16 work too)`);
  return d;
}

/** The typed array that holds a dtype's storage (16- and 8-bit floats as bits). */
export function storageArray(dtype: DType, buffer: ArrayBuffer, byteOffset = 0, length?: number): TypedArray {
  switch (dtype.name) {
    case 'i1':
    case 'u8':
    case 'f8e4m3':
    case 'f8e5m2':
      return new Uint8Array(buffer, byteOffset, length);
    case 'i8':
      return new Int8Array(buffer, byteOffset, length);
    case 'i16':
      return new Int16Array(buffer, byteOffset, length);
    case 'u16':
    case 'f16':
    case 'bf16':
      return new Uint16Array(buffer, byteOffset, length);
    case 'i32':
      return new Int32Array(buffer, byteOffset, length);
    case 'u32':
      return new Uint32Array(buffer, byteOffset, length);
    case 'i64':
      return new BigInt64Array(buffer, byteOffset, length);
    case 'u64':
      return new BigUint64Array(buffer, byteOffset, length);
    case 'f32':
      return new Float32Array(buffer, byteOffset, length);
    case 'f64':
      return new Float64Array(buffer, byteOffset, length);
  }
}

/** The array type that `toArray()` returns for a dtype: values, not bits. */
export type ValueArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new RangeError(`invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
  }
}

const storageBytes = (s: ArrayBuffer | DeviceAllocation): number => (s instanceof DeviceAllocation ? s.bytes : s.byteLength);

type Storage = ArrayBuffer | DeviceAllocation;

/**
 * What the sanitizer knows of storage that empty() made and nothing has filled yet: which of its bytes have been
 * written (by sanitized launches). Storage without one counts as written: tensor(), zeros(), full(), rand(), ...,
 * a plain launch that is given it, and host code that takes its `data` or `buffer` (which may write anything).
 */
export class WrittenBytes {
  /** One byte per byte of storage, 1 once written; undefined while nothing has been. */
  bits: Uint8Array | undefined;
  /** How many bytes are not written yet. */
  unwritten: number;

  constructor(readonly size: number) {
    this.unwritten = size;
  }

  copy(): WrittenBytes {
    const c = new WrittenBytes(this.size);
    c.bits = this.bits?.slice();
    c.unwritten = this.unwritten;
    return c;
  }
}

const partlyWritten = new WeakMap<Storage, WrittenBytes>();

/** The written-bytes record of storage made by empty() (undefined once it is all written, or was never empty). */
export function writtenBytesOf(storage: Storage): WrittenBytes | undefined {
  return partlyWritten.get(storage);
}

/** Counts all of `storage` as written (from now on the sanitizer never reports reading it as uninitialised). */
export function markWritten(storage: Storage): void {
  partlyWritten.delete(storage);
}

/** Gives `to` the written bytes of `from` (a copy of its storage): the same record when `shared`, else a copy. */
export function copyWrittenBytes(from: Storage, to: Storage, shared = false): void {
  const w = partlyWritten.get(from);
  if (w && storageBytes(to) === w.size) partlyWritten.set(to, shared ? w : w.copy());
  else partlyWritten.delete(to);
}

/**
 * Host tensors' addresses, for pointers kept as data (a table of dataPtr()s, as in Triton's grouped GEMM). Host
 * memory has no address a kernel could use, so each host storage whose address is taken gets a slot of a fake
 * address space, which the interpreter maps back to it (src/interp/memory.ts). Slots start above the band where
 * the interpreter maps a launch's tensor arguments and end below 2^53, so that every address is exact as a
 * JavaScript number; a storage sits in the middle of its slot, so that stray offsets either way stay in it.
 */
export const HOST_ADDRESS_BASE = 2 ** 50;
/** Where host addresses end: far enough below 2^53 that any offset a kernel adds to one is still exact. */
export const HOST_ADDRESS_END = 3 * 2 ** 51;
const HOST_SLOT_BYTES = 2 ** 36;
const HOST_SLOTS = (HOST_ADDRESS_END - HOST_ADDRESS_BASE) / HOST_SLOT_BYTES;

/** One host storage's slot: its first byte's address, and the storage while it is alive. */
export interface HostSlot {
  readonly base: number;
  readonly storage: WeakRef<ArrayBuffer>;
  /** The dtype of the tensor whose address was first taken (for messages). */
  readonly dtype: DType;
}

const hostSlots: HostSlot[] = [];
const hostSlotOf = new WeakMap<ArrayBuffer, HostSlot>();

function hostSlot(storage: ArrayBuffer, dtype: DType): HostSlot {
  let slot = hostSlotOf.get(storage);
  if (!slot) {
    if (hostSlots.length === HOST_SLOTS) throw new RangeError(`the interpreter's address space is full: ${HOST_SLOTS} host storages have had their address taken (dataPtr()) in this process`);
    if (storage.byteLength > HOST_SLOT_BYTES / 2) throw new RangeError(`dataPtr() gives addresses to host storage of up to ${HOST_SLOT_BYTES / 2} bytes, not ${storage.byteLength}`);
    slot = { base: HOST_ADDRESS_BASE + hostSlots.length * HOST_SLOT_BYTES + HOST_SLOT_BYTES / 2, storage: new WeakRef(storage), dtype };
    hostSlots.push(slot);
    hostSlotOf.set(storage, slot);
  }
  return slot;
}

/** The slot of the host storage whose address range (with its margins) holds `addr`; undefined if none does. */
export function hostSlotAt(addr: number): HostSlot | undefined {
  return addr >= HOST_ADDRESS_BASE ? hostSlots[Math.floor((addr - HOST_ADDRESS_BASE) / HOST_SLOT_BYTES)] : undefined;
}

export class Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** Offset of element [0, ..., 0] in the storage, in elements. */
  readonly offset: number;
  /** The whole storage, which views share: host memory or a GPU allocation. */
  readonly storage: ArrayBuffer | DeviceAllocation;

  constructor(dtype: DType, shape: readonly number[], storage: ArrayBuffer | DeviceAllocation, strides?: readonly number[], offset = 0) {
    checkShape(shape);
    this.dtype = dtype;
    this.shape = [...shape];
    this.strides = strides ? [...strides] : contiguousStrides(shape);
    this.offset = offset;
    this.storage = storage;
    const needed = (offset + this.span) * dtype.bytes;
    if (this.numel > 0 && needed > storageBytes(storage)) throw new RangeError(`tensor of shape [${shape.join(', ')}] needs ${needed} bytes, storage has ${storageBytes(storage)}`);
  }

  get device(): Device {
    return this.storage instanceof DeviceAllocation ? 'cuda' : 'cpu';
  }

  get isCuda(): boolean {
    return this.storage instanceof DeviceAllocation;
  }

  /**
   * The host storage (throws for a GPU tensor: read it with toArray(), or copy it with cpu()). Code that takes it
   * may write any of it, so the sanitizer counts all of it as written from then on.
   */
  get buffer(): ArrayBuffer {
    const b = this.hostBuffer();
    markWritten(b);
    return b;
  }

  /** The host storage, for kt's own reads and for writes that keep the sanitizer's record themselves. */
  hostBuffer(): ArrayBuffer {
    if (this.storage instanceof DeviceAllocation) throw new TypeError('this tensor is on the GPU: copy it to the host with .cpu() first, or read it with .toArray()');
    return this.storage;
  }

  private address?: bigint;

  /** The GPU address of element [0, ..., 0] (`what` names the tensor in errors). */
  deviceAddress(what = 'tensor'): bigint {
    const s = this.storage;
    if (!(s instanceof DeviceAllocation)) throw new TypeError(`${what} is on the CPU: a GPU kernel needs GPU tensors (move it with .cuda())`);
    this.address ??= s.address(what) + BigInt(this.offset * this.dtype.bytes);
    s.checkLive(what);
    return this.address;
  }

  /**
   * The address of element [0, ..., 0], to keep as data (in a tensor of int64 that a kernel loads and converts to
   * pointers, as Triton's grouped GEMM does): a GPU tensor's device address, or for a host tensor the address the
   * interpreter gives its storage, the same for the storage's lifetime.
   */
  dataPtr(): bigint {
    const s = this.storage;
    if (s instanceof DeviceAllocation) return this.deviceAddress();
    return BigInt(hostSlot(s, this.dtype).base + this.offset * this.dtype.bytes);
  }

  private isAligned16?: boolean;

  /** Whether element [0, ..., 0] sits at a multiple of 16 bytes (allocations do; views at an offset may not). */
  get aligned16(): boolean {
    this.isAligned16 ??= this.storage instanceof DeviceAllocation ? this.storage.isAligned(this.offset * this.dtype.bytes, 16, 'tensor') : (this.offset * this.dtype.bytes) % 16 === 0;
    return this.isAligned16;
  }

  /** A copy on the GPU with the same shape, strides and offset (this tensor if it is there already). */
  cuda(): Tensor {
    if (this.storage instanceof DeviceAllocation) return this;
    const alloc = allocate(this.storage.byteLength);
    copyToDevice(alloc.address('tensor'), new Uint8Array(this.storage));
    copyWrittenBytes(this.storage, alloc);
    return new Tensor(this.dtype, this.shape, alloc, this.strides, this.offset);
  }

  /** A copy in host memory (this tensor if it is there already). Waits for the GPU work launched before. */
  cpu(): Tensor {
    if (!(this.storage instanceof DeviceAllocation)) return this;
    const host = new ArrayBuffer(this.storage.bytes);
    copyToHost(new Uint8Array(host), this.storage.address('tensor'));
    copyWrittenBytes(this.storage, host);
    return new Tensor(this.dtype, this.shape, host, this.strides, this.offset);
  }

  /** Copies the contents of `src` (same dtype and storage size, on either device) into this tensor's storage. */
  copyStorageFrom(src: Tensor): void {
    const bytes = storageBytes(this.storage);
    if (src.dtype !== this.dtype || storageBytes(src.storage) !== bytes) throw new RangeError('copyStorageFrom needs storage of the same dtype and size');
    const from = src.storage;
    const to = this.storage;
    if (to instanceof DeviceAllocation) {
      if (from instanceof DeviceAllocation) copyOnDevice(to.address('tensor'), from.address('tensor'), bytes);
      else copyToDevice(to.address('tensor'), new Uint8Array(from));
    } else if (from instanceof DeviceAllocation) copyToHost(new Uint8Array(to), from.address('tensor'));
    else new Uint8Array(to).set(new Uint8Array(from));
    copyWrittenBytes(from, to);
  }

  /** A copy of this tensor's whole storage on the same device (1-D), to restore it later with copyStorageFrom. */
  storageSnapshot(): Tensor {
    const bytes = storageBytes(this.storage);
    const copy = empty([bytes / this.dtype.bytes], this.dtype, this.isCuda ? 'cuda' : 'cpu');
    if (this.storage instanceof DeviceAllocation && this.storage.untouched) {
      // Nothing has written this GPU memory, so it holds nothing to keep (and reading it is an uninitialised read).
      // The snapshot holds a poison pattern instead, all bits set (NaN for floats, -1 for integers): what a restore
      // leaves is never a right answer that a check could mistake for a kernel's.
      fillDevice(copy.deviceAddress('snapshot'), 0xff, 1, bytes);
    } else copy.copyStorageFrom(this);
    return copy;
  }

  /** Frees a GPU tensor's memory now (views of it become unusable); does nothing for a CPU tensor. */
  dispose(): void {
    if (this.storage instanceof DeviceAllocation) this.storage.free();
  }

  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Elements from element [0, ..., 0] to the last one, inclusive: what a kernel may address. */
  get span(): number {
    if (this.numel === 0) return 0;
    return 1 + this.shape.reduce((acc, d, i) => acc + (d - 1) * this.strides[i]!, 0);
  }

  stride(dim: number): number {
    const d = dim < 0 ? dim + this.ndim : dim;
    if (d < 0 || d >= this.ndim) throw new RangeError(`dimension ${dim} is out of range for a ${this.ndim}-d tensor`);
    return this.strides[d]!;
  }

  size(dim: number): number {
    const d = dim < 0 ? dim + this.ndim : dim;
    if (d < 0 || d >= this.ndim) throw new RangeError(`dimension ${dim} is out of range for a ${this.ndim}-d tensor`);
    return this.shape[d]!;
  }

  get isContiguous(): boolean {
    const c = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d === 1 || c[i] === this.strides[i]);
  }

  /** The storage as raw elements (16-bit floats as bits), starting at this tensor's first element. */
  get data(): TypedArray {
    return storageArray(this.dtype, this.buffer, this.offset * this.dtype.bytes, this.span);
  }

  /** Counts this tensor's elements as written (the sanitizer's record of storage made by empty()). */
  private markElementsWritten(): void {
    const w = partlyWritten.get(this.storage);
    if (!w) return;
    const size = this.dtype.bytes;
    if (this.ownsWholeStorage) return markWritten(this.storage);
    const bits = (w.bits ??= new Uint8Array(w.size));
    for (const j of this.indices()) {
      for (let b = j * size; b < (j + 1) * size; b++) {
        if (bits[b] === 0) {
          bits[b] = 1;
          w.unwritten--;
        }
      }
    }
    if (w.unwritten === 0) markWritten(this.storage);
  }

  /** Storage index of each element in row-major logical order. */
  private *indices(): Generator<number> {
    const n = this.numel;
    if (n === 0) return;
    if (this.isContiguous) {
      for (let i = 0; i < n; i++) yield this.offset + i;
      return;
    }
    const idx = new Array<number>(this.ndim).fill(0);
    for (let i = 0; i < n; i++) {
      let off = this.offset;
      for (let d = 0; d < this.ndim; d++) off += idx[d]! * this.strides[d]!;
      yield off;
      for (let d = this.ndim - 1; d >= 0; d--) {
        if (++idx[d]! < this.shape[d]!) break;
        idx[d] = 0;
      }
    }
  }

  /** The values in row-major order: 16- and 8-bit floats decoded to Float32Array, 64-bit integers as bigints. */
  toArray(): ValueArray {
    if (this.isCuda) return this.cpu().toArray();
    const raw = storageArray(this.dtype, this.hostBuffer());
    const n = this.numel;
    const decode = bitsDecoder(this.dtype);
    if (decode) {
      const out = new Float32Array(n);
      if (this.isContiguous) {
        for (let i = 0, j = this.offset; i < n; i++, j++) out[i] = decode(raw[j] as number);
        return out;
      }
      let i = 0;
      for (const j of this.indices()) out[i++] = decode(raw[j] as number);
      return out;
    }
    const out = storageArray(this.dtype, new ArrayBuffer(n * this.dtype.bytes)) as ValueArray;
    let i = 0;
    for (const j of this.indices()) (out as unknown as unknown[])[i++] = raw[j];
    return out;
  }

  /** The values as plain numbers (64-bit integers converted, possibly losing precision). */
  toNumbers(): number[] {
    return Array.from(this.toArray() as ArrayLike<number | bigint>, (v) => Number(v));
  }

  /** The values at these flat (row-major) indices, as numbers: reads only those elements (of a host copy, on the GPU). */
  valuesAt(flatIndices: readonly number[]): number[] {
    if (this.isCuda) return this.cpu().valuesAt(flatIndices);
    const raw = storageArray(this.dtype, this.hostBuffer()) as ArrayLike<number | bigint>;
    const decode = bitsDecoder(this.dtype) ?? Number;
    return flatIndices.map((flat) => {
      let offset = this.offset;
      let rest = flat;
      for (let d = this.ndim - 1; d >= 0; d--) {
        offset += (rest % this.shape[d]!) * this.strides[d]!;
        rest = Math.floor(rest / this.shape[d]!);
      }
      return decode(raw[offset] as number);
    });
  }

  /** A view with another shape (the tensor must be contiguous). */
  reshape(shape: readonly number[]): Tensor {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== this.numel) throw new RangeError(`cannot reshape [${this.shape.join(', ')}] (${this.numel} elements) to [${shape.join(', ')}]`);
    if (!this.isContiguous) return this.contiguous().reshape(shape);
    return new Tensor(this.dtype, shape, this.storage, undefined, this.offset);
  }

  /** A view with two dimensions swapped (no copy). */
  transpose(d0 = 0, d1 = 1): Tensor {
    const shape = [...this.shape];
    const strides = [...this.strides];
    [shape[d0], shape[d1]] = [shape[d1]!, shape[d0]!];
    [strides[d0], strides[d1]] = [strides[d1]!, strides[d0]!];
    return new Tensor(this.dtype, shape, this.storage, strides, this.offset);
  }

  /** A contiguous copy (or this tensor, if already contiguous and dense from offset 0). */
  contiguous(): Tensor {
    if (this.isContiguous) return this;
    return this.clone();
  }

  /** Whether this tensor is dense over its whole storage, in order from its start (no view of a larger one). */
  private get ownsWholeStorage(): boolean {
    return this.isContiguous && this.offset === 0 && storageBytes(this.storage) === this.numel * this.dtype.bytes;
  }

  clone(): Tensor {
    if (this.isCuda && this.ownsWholeStorage) {
      // A copy on the device: nothing goes through the host.
      const out = empty(this.shape, this.dtype, 'cuda');
      out.copyStorageFrom(this);
      return out;
    }
    if (this.isCuda) return this.cpu().clone().cuda();
    const out = empty(this.shape, this.dtype);
    const src = storageArray(this.dtype, this.hostBuffer());
    const dst = storageArray(this.dtype, out.hostBuffer()) as unknown as unknown[];
    let i = 0;
    for (const j of this.indices()) dst[i++] = src[j];
    // The copy is written where this tensor is: unwritten elements of empty() stay unwritten in the copy.
    const w = partlyWritten.get(this.storage);
    const c = partlyWritten.get(out.storage);
    if (!w) markWritten(out.storage);
    else if (w.bits && c) {
      const bits = new Uint8Array(out.numel * this.dtype.bytes);
      const size = this.dtype.bytes;
      let k = 0;
      let unwritten = 0;
      for (const j of this.indices()) {
        for (let b = 0; b < size; b++, k++) if (!(bits[k] = w.bits[j * size + b]!)) unwritten++;
      }
      c.bits = bits;
      c.unwritten = unwritten;
      if (unwritten === 0) markWritten(out.storage);
    }
    return out;
  }

  /** Fills every element with `value` (in place). */
  fill(value: number | bigint | boolean): this {
    if (this.storage instanceof DeviceAllocation) {
      const bits = encodeValue(this.dtype, value);
      const size = this.dtype.bytes;
      if (this.isContiguous && typeof bits === 'number' && (size === 1 || size === 2 || size === 4)) {
        const raw = size === 4 && this.dtype.isFloat ? new Uint32Array(new Float32Array([bits]).buffer)[0]! : bits;
        fillDevice(this.deviceAddress(), raw, size, this.numel);
        this.markElementsWritten();
      } else if (this.ownsWholeStorage) {
        // 8-byte elements (the driver has no 64-bit memset): written from a host tensor, nothing read first.
        this.copyStorageFrom(empty(this.shape, this.dtype).fill(value));
      } else {
        // A view that shares its storage: the rest is kept, so the whole storage is filled through the host.
        const whole = empty([storageBytes(this.storage) / size], this.dtype);
        whole.copyStorageFrom(this);
        new Tensor(this.dtype, this.shape, whole.storage, this.strides, this.offset).fill(value);
        this.copyStorageFrom(whole);
      }
      return this;
    }
    const raw = storageArray(this.dtype, this.hostBuffer()) as unknown as unknown[];
    const v = encodeValue(this.dtype, value);
    for (const j of this.indices()) raw[j] = v;
    this.markElementsWritten();
    return this;
  }

  toString(): string {
    const vals = Array.from(this.toArray() as ArrayLike<number | bigint>).slice(0, 8).map(String);
    return `Tensor(${this.dtype.name}, [${this.shape.join(', ')}]: ${vals.join(', ')}${this.numel > 8 ? ', ...' : ''})`;
  }
}

/** The value of a stored bit pattern, for the dtypes stored as bits (16- and 8-bit floats). */
function bitsDecoder(dtype: DType): ((bits: number) => number) | undefined {
  switch (dtype.name) {
    case 'f16':
      return f16FromBits;
    case 'bf16':
      return bf16FromBits;
    case 'f8e4m3':
      return e4m3FromBits;
    case 'f8e5m2':
      return e5m2FromBits;
    default:
      return undefined;
  }
}

/** The bit pattern stored for a number, for the dtypes stored as bits (rounding to nearest even; fp8 saturating). */
function bitsEncoder(dtype: DType): ((x: number) => number) | undefined {
  switch (dtype.name) {
    case 'f16':
      return f16ToBits;
    case 'bf16':
      return bf16ToBits;
    case 'f8e4m3':
      return (x) => e4m3ToBits(x);
    case 'f8e5m2':
      return (x) => e5m2ToBits(x);
    default:
      return undefined;
  }
}

/** A number as it is stored for `dtype` (bits for 16- and 8-bit floats, bigint for 64-bit integers). */
export function encodeValue(dtype: DType, value: number | bigint | boolean): number | bigint {
  const v = typeof value === 'boolean' ? Number(value) : value;
  // A bigint for a float narrower than f64 goes through a double rounded to odd, so that it is rounded once.
  const asFloat = (x: number | bigint): number => (typeof x === 'bigint' && dtype.name !== 'f64' ? bigIntToDoubleOdd(x) : Number(x));
  const bits = bitsEncoder(dtype);
  if (bits) return bits(asFloat(v));
  switch (dtype.name) {
    case 'i64':
      return BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
    case 'u64':
      return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v)));
    case 'i1':
      return v ? 1 : 0;
    default:
      return dtype.isFloat ? asFloat(v) : Number(typeof v === 'bigint' ? BigInt.asIntN(64, v) : Math.trunc(v));
  }
}

/**
 * An uninitialised tensor (zeroed on the CPU), on the CPU or, with device 'cuda', on the GPU. Sanitized launches
 * report reads of its elements before something writes them (on the GPU only when every launch is sanitized,
 * KT_SANITIZE=1, since plain GPU launches keep no record of what they write).
 */
export function empty(shape: readonly number[] | number, dtype: DTypeSpec = 'f32', device: Device = 'cpu'): Tensor {
  const s = typeof shape === 'number' ? [shape] : shape;
  checkShape(s);
  const d = toDType(dtype);
  const bytes = s.reduce((a, b) => a * b, 1) * d.bytes;
  const storage = device === 'cuda' ? allocate(bytes) : new ArrayBuffer(bytes);
  if (bytes > 0 && (device !== 'cuda' || sanitizeAll())) partlyWritten.set(storage, new WrittenBytes(bytes));
  return new Tensor(d, s, storage);
}

export function zeros(shape: readonly number[] | number, dtype: DTypeSpec = 'f32', device: Device = 'cpu'): Tensor {
  const t = empty(shape, dtype, device);
  if (device === 'cuda') return t.fill(0);
  markWritten(t.storage);
  return t;
}

export function full(shape: readonly number[] | number, value: number | bigint | boolean, dtype: DTypeSpec = 'f32', device: Device = 'cpu'): Tensor {
  return empty(shape, dtype, device).fill(value);
}

/**
 * A tensor from values: a typed array or array of numbers (converted to `dtype`, rounding to nearest even),
 * with `shape` defaulting to 1-D. The dtype defaults to the typed array's, or f32.
 */
export function tensor(data: ArrayLike<number | bigint | boolean>, options: { dtype?: DTypeSpec; shape?: readonly number[] } = {}): Tensor {
  const dtype = toDType(options.dtype ?? defaultDType(data));
  const shape = options.shape ?? [data.length];
  const t = empty(shape, dtype);
  if (t.numel !== data.length) throw new RangeError(`${data.length} values do not fill shape [${shape.join(', ')}] (${t.numel} elements)`);
  const raw = t.data as unknown as unknown[];
  for (let i = 0; i < data.length; i++) raw[i] = encodeValue(dtype, data[i]!);
  return t;
}

function defaultDType(data: ArrayLike<unknown>): DTypeName {
  if (data instanceof Float64Array) return 'f64';
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof Uint32Array) return 'u32';
  if (data instanceof Int16Array) return 'i16';
  if (data instanceof Uint16Array) return 'u16';
  if (data instanceof Int8Array) return 'i8';
  if (data instanceof Uint8Array) return 'u8';
  if (data instanceof BigInt64Array) return 'i64';
  if (data instanceof BigUint64Array) return 'u64';
  return 'f32';
}

/** A small, fast, seedable generator (SplitMix32-style), so that inputs are reproducible. */
export class Random {
  private state: number;
  constructor(seed = (Math.random() * 2 ** 32) >>> 0) {
    this.state = seed >>> 0;
  }
  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    let z = (this.state = (this.state + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }
  /** Uniform in [0, 1) with 53 bits. */
  next(): number {
    return (this.nextUint32() * 2 ** 21 + (this.nextUint32() >>> 11)) / 2 ** 53;
  }
  private spare: number | undefined;
  /** Standard normal (Box-Muller, which makes two at a time: the second is kept for the next call). */
  normal(): number {
    const spare = this.spare;
    if (spare !== undefined) {
      this.spare = undefined;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.next()));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

export interface RandomOptions {
  dtype?: DTypeSpec;
  seed?: number;
  /** Draw from this generator instead of a new one seeded with `seed`. */
  rng?: Random;
}

/** Uniform values in [0, 1) (integers dtypes: [0, 2^bits) or [low, high) with randint). */
export function rand(shape: readonly number[] | number, options: RandomOptions = {}): Tensor {
  const rng = options.rng ?? new Random(options.seed);
  const t = empty(shape, options.dtype ?? 'f32');
  if (!t.dtype.isFloat) throw new TypeError(`rand makes floating-point tensors; use randint for ${t.dtype.name}`);
  const raw = t.data as unknown as unknown[];
  for (let i = 0; i < t.numel; i++) raw[i] = encodeValue(t.dtype, rng.next());
  return t;
}

/** Standard normal values (times `scale`). */
export function randn(shape: readonly number[] | number, options: RandomOptions & { scale?: number } = {}): Tensor {
  const rng = options.rng ?? new Random(options.seed);
  const scale = options.scale ?? 1;
  const t = empty(shape, options.dtype ?? 'f32');
  if (!t.dtype.isFloat) throw new TypeError(`randn makes floating-point tensors, not ${t.dtype.name}`);
  const raw = t.data as unknown as number[];
  const encode = bitsEncoder(t.dtype);
  if (encode) {
    // 16- and 8-bit floats: each 16-bit draw picks one of 65536 normal quantiles (a discrete normal about as fine
    // as f16 is around 1, with tails cut at 4.3), encoded once in a table: ten times faster than Box-Muller.
    const table = new Uint16Array(65536);
    for (let i = 0; i < 65536; i++) table[i] = encode(normalQuantile((i + 0.5) / 65536) * scale);
    for (let i = 0; i < t.numel; i += 2) {
      const u = rng.nextUint32();
      raw[i] = table[u & 0xffff]!;
      if (i + 1 < t.numel) raw[i + 1] = table[u >>> 16]!;
    }
    return t;
  }
  for (let i = 0; i < t.numel; i++) raw[i] = rng.normal() * scale;
  return t;
}

/** Uniform integers in [low, high). */
export function randint(low: number, high: number, shape: readonly number[] | number, options: RandomOptions = {}): Tensor {
  if (!(high > low)) throw new RangeError(`randint needs high > low, got [${low}, ${high})`);
  const rng = options.rng ?? new Random(options.seed);
  const t = empty(shape, options.dtype ?? 'i32');
  const raw = t.data as unknown as unknown[];
  for (let i = 0; i < t.numel; i++) raw[i] = encodeValue(t.dtype, low + Math.floor(rng.next() * (high - low)));
  return t;
}

/** [0, 1, ..., n-1]. */
export function arange(n: number, dtype: DTypeSpec = 'i32'): Tensor {
  return tensor(Array.from({ length: n }, (_, i) => i), { dtype });
}

export { dtypes };
