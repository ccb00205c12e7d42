// The GPU as kt uses it: one device (KT_DEVICE, default 0) and its primary context, device memory, copies,
// events and synchronisation. Launches are asynchronous, so a fault in a kernel surfaces at the next call
// that waits for the device: such errors name the last kernel launched and what to do about them.
import { CudaError, DeviceAttribute, NoGpuError, check, cudaDriver, describeCudaError, type Driver } from './cuda.ts';

export interface GpuInfo {
  readonly ordinal: number;
  readonly name: string;
  readonly computeCapability: readonly [number, number];
  /** The PTX target for this device: sm_90 for compute capability 9.0. */
  readonly target: string;
  readonly multiprocessors: number;
  /** The most shared memory one program may use (with the opt-in attribute), in bytes. */
  readonly maxSharedPerBlock: number;
  readonly totalMemory: number;
  /** The driver's CUDA version, e.g. 13000 for 13.0. */
  readonly driverVersion: number;
}

interface GpuState {
  readonly d: Driver;
  readonly info: GpuInfo;
}

let state: GpuState | undefined;
let unavailable: string | undefined;

function out<T>(init: T): [T] {
  return [init];
}

/** Initialises the driver and the device's primary context (once per process); throws NoGpuError if there is none. */
export function gpu(): GpuState {
  if (state) return state;
  if (unavailable) throw new NoGpuError(unavailable);
  const d = cudaDriver();
  const init = d.cuInit(0);
  if (init !== 0) {
    unavailable = `the CUDA driver did not initialise (${describeCudaError(Number(init)).name})`;
    throw new NoGpuError(unavailable);
  }
  const count = out(0);
  check(d.cuDeviceGetCount(count), 'counting CUDA devices');
  if (count[0] === 0) {
    unavailable = 'the CUDA driver found no GPU';
    throw new NoGpuError(unavailable);
  }
  const requested = process.env['KT_DEVICE'];
  const ordinal = requested === undefined ? 0 : Number(requested);
  if (!Number.isInteger(ordinal) || ordinal < 0 || ordinal >= count[0]) {
    throw new RangeError(`KT_DEVICE=${requested} does not name a GPU: this machine has ${count[0]} (0 to ${count[0] - 1})`);
  }
  const dev = out(0);
  check(d.cuDeviceGet(dev, ordinal), `opening GPU ${ordinal}`);
  const attr = (a: number): number => {
    const v = out(0);
    check(d.cuDeviceGetAttribute(v, a, dev[0]), 'reading a device attribute');
    return v[0];
  };
  const nameBuf = Buffer.alloc(256);
  check(d.cuDeviceGetName(nameBuf, nameBuf.length, dev[0]), 'reading the GPU name');
  const mem = out<number | bigint>(0);
  check(d.cuDeviceTotalMem(mem, dev[0]), 'reading the GPU memory size');
  const version = out(0);
  check(d.cuDriverGetVersion(version), 'reading the driver version');
  const ctx = out<unknown>(null);
  check(d.cuDevicePrimaryCtxRetain(ctx, dev[0]), `creating a context on GPU ${ordinal}`);
  check(d.cuCtxSetCurrent(ctx[0]), 'making the context current');
  const major = attr(DeviceAttribute.computeCapabilityMajor);
  const minor = attr(DeviceAttribute.computeCapabilityMinor);
  const info: GpuInfo = {
    ordinal,
    name: nameBuf.subarray(0, nameBuf.indexOf(0)).toString('utf8'),
    computeCapability: [major, minor],
    target: `sm_${major}${minor}`,
    multiprocessors: attr(DeviceAttribute.multiprocessorCount),
    maxSharedPerBlock: attr(DeviceAttribute.maxSharedPerBlockOptin),
    totalMemory: Number(mem[0]),
    driverVersion: version[0],
  };
  state = { d, info };
  return state;
}

/** Why no GPU can be used (initialising it if one can), or undefined when one can. */
export function gpuUnavailableReason(): string | undefined {
  try {
    gpu();
    return undefined;
  } catch (e) {
    if (e instanceof NoGpuError) return e.reason;
    throw e;
  }
}

/** Whether a GPU can be used (initialising it if so). */
export function gpuAvailable(): boolean {
  return gpuUnavailableReason() === undefined;
}

// ---- errors of asynchronous work ----------------------------------------------------------------------------

/** The kernel launched last and its grid, for errors that surface later (described only then). */
let lastKernel: { describeLaunch(grid: readonly [number, number, number]): string } | undefined;
let lastGrid: readonly [number, number, number] = [0, 0, 0];

export function noteLaunch(kernel: { describeLaunch(grid: readonly [number, number, number]): string }, grid: readonly [number, number, number]): void {
  lastKernel = kernel;
  lastGrid = grid;
}

// Errors raised by a kernel while it runs (reported by whatever call waits next).
const kernelFaults: Record<string, string> = {
  CUDA_ERROR_ILLEGAL_ADDRESS: 'run it with `kt run --interpret` (or KT_INTERPRET=1): the interpreter finds out-of-bounds accesses and reports their source line',
  CUDA_ERROR_INVALID_ADDRESS_SPACE: 'run it with `kt run --interpret` (or KT_INTERPRET=1): the interpreter finds out-of-bounds accesses and reports their source line',
  CUDA_ERROR_MISALIGNED_ADDRESS: 'a pointer was not aligned for its access; `kt run --interpret` reports misaligned accesses with their source line',
  CUDA_ERROR_ASSERT: 'a deviceAssert failed: the device printed its message and source line above',
  CUDA_ERROR_LAUNCH_FAILED: 'run it with `kt run --interpret` to find the faulting access',
  CUDA_ERROR_ILLEGAL_INSTRUCTION: 'this is most likely a kt compiler bug: please report it with the kernel',
  CUDA_ERROR_INVALID_PC: 'this is most likely a kt compiler bug: please report it with the kernel',
  CUDA_ERROR_HARDWARE_STACK_ERROR: 'this is most likely a kt compiler bug: please report it with the kernel',
  CUDA_ERROR_LAUNCH_TIMEOUT: 'the kernel ran too long (a loop that never ends?)',
};

/** Whether an error is a kernel fault, after which the process's GPU context is unusable. */
export function isKernelFault(e: unknown): boolean {
  return e instanceof CudaError && Object.hasOwn(kernelFaults, e.errorName);
}

/** Like check(), but a fault from an earlier kernel is attributed to it, with advice. */
export function checkAfterKernels(code: unknown, doing: string): void {
  if (code === 0) return;
  const n = Number(code);
  const { name, text } = describeCudaError(n);
  const advice = kernelFaults[name];
  if (advice && lastKernel) {
    throw new CudaError(`${lastKernel.describeLaunch(lastGrid)} failed: ${name} (${text}), reported while ${doing}\n  hint: ${advice}\n  note: after this error the GPU context is unusable: restart the process`, n, name);
  }
  check(code, doing);
}

/** Waits for all work on the GPU. */
export function synchronize(): void {
  const { d } = gpu();
  checkAfterKernels(d.cuCtxSynchronize(), 'waiting for the GPU');
}

// ---- memory ------------------------------------------------------------------------------------------------

let bytesInUse = 0;

const released = new FinalizationRegistry<{ ptr: bigint; bytes: number }>(({ ptr, bytes }) => {
  // A tensor was garbage-collected without dispose(): free its memory now (ignoring a context already gone).
  try {
    cudaDriver().cuMemFree(ptr);
    bytesInUse -= bytes;
  } catch {
    // the process is exiting or the driver is gone
  }
});

/** Device memory owned by tensors (views share one). Freed by dispose(), or when it is garbage-collected. */
export class DeviceAllocation {
  private freed = false;
  /**
   * Whether the address was handed out. Every way to write the memory (a copy, a fill, a launch, an address
   * kept as data) takes it first, so until then the memory holds nothing anyone wrote: an interpreted launch on
   * the tensor (KT_INTERPRET=1) need not copy it to the host (which compute-sanitizer's initcheck would rightly
   * call a read of uninitialised memory).
   */
  private addressTaken = false;

  constructor(
    private readonly ptr: bigint,
    readonly bytes: number,
  ) {
    if (ptr !== 0n) released.register(this, { ptr, bytes }, this);
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /** Throws if the memory has been freed (`what` names the tensor in the message). */
  checkLive(what: string): void {
    if (this.freed) throw new Error(`${what}: the tensor's GPU memory was freed by dispose()`);
  }

  /** The address, checking that the memory has not been freed. */
  address(what: string): bigint {
    this.checkLive(what);
    this.addressTaken = true;
    return this.ptr;
  }

  /**
   * Whether the address plus `offsetBytes` is a multiple of `alignment`. Asking hands the address to no one: the
   * compiler specialises on alignment before anything writes the memory (the tuner compiles its configs, then
   * snapshots the outputs), and that must leave the memory untouched.
   */
  isAligned(offsetBytes: number, alignment: number, what: string): boolean {
    this.checkLive(what);
    return (this.ptr + BigInt(offsetBytes)) % BigInt(alignment) === 0n;
  }

  /** Whether nothing can have written the memory yet: its address was never handed out. */
  get untouched(): boolean {
    return !this.addressTaken && !this.freed;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.ptr === 0n) return;
    released.unregister(this);
    checkAfterKernels(gpu().d.cuMemFree(this.ptr), 'freeing GPU memory');
    bytesInUse -= this.bytes;
  }
}

/** Allocates `bytes` of device memory (uninitialised). */
export function allocate(bytes: number): DeviceAllocation {
  const { d } = gpu();
  if (bytes === 0) return new DeviceAllocation(0n, 0);
  const ptr = out<bigint | number>(0n);
  const code = d.cuMemAlloc(ptr, bytes);
  if (code !== 0 && describeCudaError(Number(code)).name === 'CUDA_ERROR_OUT_OF_MEMORY') {
    throw new CudaError(
      `out of GPU memory allocating ${(bytes / 2 ** 20).toFixed(1)} MiB (kt tensors hold ${(bytesInUse / 2 ** 20).toFixed(1)} MiB)\n  hint: call dispose() on GPU tensors you no longer need`,
      Number(code),
      'CUDA_ERROR_OUT_OF_MEMORY',
    );
  }
  checkAfterKernels(code, `allocating ${bytes} bytes of GPU memory`);
  bytesInUse += bytes;
  return new DeviceAllocation(BigInt(ptr[0]), bytes);
}

export function copyToDevice(dst: bigint, src: ArrayBufferView): void {
  if (src.byteLength === 0) return;
  checkAfterKernels(gpu().d.cuMemcpyHtoD(dst, src, src.byteLength), 'copying to the GPU');
}

export function copyToHost(dst: ArrayBufferView, src: bigint): void {
  if (dst.byteLength === 0) return;
  checkAfterKernels(gpu().d.cuMemcpyDtoH(dst, src, dst.byteLength), 'copying from the GPU');
}

export function copyOnDevice(dst: bigint, src: bigint, bytes: number): void {
  if (bytes === 0) return;
  checkAfterKernels(gpu().d.cuMemcpyDtoD(dst, src, bytes), 'copying on the GPU');
}

/** Sets `count` elements of 1, 2 or 4 bytes at dst to `bits`. */
export function fillDevice(dst: bigint, bits: number, elementBytes: 1 | 2 | 4, count: number): void {
  if (count === 0) return;
  const { d } = gpu();
  const code = elementBytes === 1 ? d.cuMemsetD8(dst, bits & 0xff, count) : elementBytes === 2 ? d.cuMemsetD16(dst, bits & 0xffff, count) : d.cuMemsetD32(dst, bits >>> 0, count);
  checkAfterKernels(code, 'filling GPU memory');
}

// ---- streams and events ------------------------------------------------------------------------------------

/**
 * A queue of GPU work: launches on one stream run in order, launches on different streams may overlap. Without
 * one, kt uses the default stream, which waits for (and is waited for by) every other blocking stream.
 */
export class GpuStream {
  /** The driver's handle (for launches). */
  readonly handle: unknown;
  private destroyed = false;

  constructor() {
    const h = out<unknown>(null);
    check(gpu().d.cuStreamCreate(h, 0), 'creating a CUDA stream');
    this.handle = h[0];
  }

  /** Waits for the work queued on this stream. */
  synchronize(): void {
    checkAfterKernels(gpu().d.cuStreamSynchronize(this.handle), 'waiting for a CUDA stream');
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    check(gpu().d.cuStreamDestroy(this.handle), 'destroying a CUDA stream');
  }
}

/** A point in the GPU's work queue, for timing. */
export class GpuEvent {
  private readonly handle: unknown;

  constructor() {
    const h = out<unknown>(null);
    check(gpu().d.cuEventCreate(h, 0), 'creating a CUDA event');
    this.handle = h[0];
  }

  /** Records the event after the work launched so far (on `stream`, or the default stream). */
  record(stream?: GpuStream): this {
    checkAfterKernels(gpu().d.cuEventRecord(this.handle, stream?.handle ?? null), 'recording a CUDA event');
    return this;
  }

  /** Milliseconds of GPU time from `start` to this event (waits for this event). */
  elapsedSince(start: GpuEvent): number {
    const { d } = gpu();
    checkAfterKernels(d.cuEventSynchronize(this.handle), 'waiting for the GPU');
    const ms = out(0);
    check(d.cuEventElapsedTime(ms, start.handle, this.handle), 'reading a CUDA event time');
    return ms[0];
  }

  destroy(): void {
    check(gpu().d.cuEventDestroy(this.handle), 'destroying a CUDA event');
  }
}
