// The CUDA driver API through koffi: the few functions kt uses, bound on first use so that importing kt on a
// machine without a driver works and only a GPU operation fails. Every call's result is checked; a failure
// becomes a CudaError that names the CUDA error and says what kt was doing.
import { createRequire } from 'node:module';
import { presentToUser } from '../user-errors.ts';

type Koffi = typeof import('koffi');
type Native = (...args: unknown[]) => unknown;

/** A failed driver call: the CUDA error's name (CUDA_ERROR_...) and message, and what kt was doing. */
export class CudaError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly errorName: string,
  ) {
    super(message);
    this.name = 'CudaError';
    presentToUser(this, ['code', 'errorName']);
  }
}

/** No usable driver or GPU: says why, and that the interpreter runs on the CPU. */
export class NoGpuError extends Error {
  constructor(readonly reason: string) {
    super(`${reason}; kt cannot run on the GPU here. Run with --interpret (or KT_INTERPRET=1) to use the CPU interpreter`);
    this.name = 'NoGpuError';
    presentToUser(this, ['reason']);
  }
}

// The driver's signatures, in koffi's C-like syntax. Handles (contexts, modules, functions, streams, events) are
// opaque pointers; device addresses are 64-bit integers.
const signatures = {
  cuInit: 'int cuInit(unsigned int flags)',
  cuDriverGetVersion: 'int cuDriverGetVersion(_Out_ int *version)',
  cuDeviceGetCount: 'int cuDeviceGetCount(_Out_ int *count)',
  cuDeviceGet: 'int cuDeviceGet(_Out_ int *device, int ordinal)',
  cuDeviceGetName: 'int cuDeviceGetName(_Out_ char *name, int len, int device)',
  cuDeviceGetAttribute: 'int cuDeviceGetAttribute(_Out_ int *value, int attribute, int device)',
  cuDeviceTotalMem: 'int cuDeviceTotalMem_v2(_Out_ size_t *bytes, int device)',
  cuDevicePrimaryCtxRetain: 'int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int device)',
  cuCtxSetCurrent: 'int cuCtxSetCurrent(void *ctx)',
  cuCtxSynchronize: 'int cuCtxSynchronize()',
  cuMemAlloc: 'int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)',
  cuMemFree: 'int cuMemFree_v2(uint64_t dptr)',
  cuMemcpyHtoD: 'int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)',
  cuMemcpyDtoH: 'int cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes)',
  cuMemcpyDtoD: 'int cuMemcpyDtoD_v2(uint64_t dst, uint64_t src, size_t bytes)',
  cuMemsetD8: 'int cuMemsetD8_v2(uint64_t dst, uint8_t value, size_t count)',
  cuMemsetD16: 'int cuMemsetD16_v2(uint64_t dst, uint16_t value, size_t count)',
  cuMemsetD32: 'int cuMemsetD32_v2(uint64_t dst, uint32_t value, size_t count)',
  cuModuleLoadDataEx: 'int cuModuleLoadDataEx(_Out_ void **module, const void *image, unsigned int numOptions, void *options, void *optionValues)',
  cuModuleGetFunction: 'int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)',
  cuModuleUnload: 'int cuModuleUnload(void *module)',
  cuFuncGetAttribute: 'int cuFuncGetAttribute(_Out_ int *value, int attribute, void *fn)',
  cuFuncSetAttribute: 'int cuFuncSetAttribute(void *fn, int attribute, int value)',
  cuLaunchKernel:
    'int cuLaunchKernel(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx, unsigned int by, unsigned int bz, unsigned int sharedBytes, void *stream, void *params, void *extra)',
  cuStreamCreate: 'int cuStreamCreate(_Out_ void **stream, unsigned int flags)',
  cuStreamSynchronize: 'int cuStreamSynchronize(void *stream)',
  cuStreamDestroy: 'int cuStreamDestroy_v2(void *stream)',
  cuEventCreate: 'int cuEventCreate(_Out_ void **event, unsigned int flags)',
  cuEventRecord: 'int cuEventRecord(void *event, void *stream)',
  cuEventSynchronize: 'int cuEventSynchronize(void *event)',
  cuEventElapsedTime: 'int cuEventElapsedTime(_Out_ float *ms, void *start, void *end)',
  cuEventDestroy: 'int cuEventDestroy_v2(void *event)',
  cuGetErrorName: 'int cuGetErrorName(int error, _Out_ const char **name)',
  cuGetErrorString: 'int cuGetErrorString(int error, _Out_ const char **text)',
} as const;

export type Driver = { readonly [K in keyof typeof signatures]: Native } & { readonly koffi: Koffi };

let driver: Driver | undefined;
let loadFailure: string | undefined;

/** The driver's functions, loaded on first use; throws NoGpuError when libcuda cannot be loaded. */
export function cudaDriver(): Driver {
  if (driver) return driver;
  if (loadFailure) throw new NoGpuError(loadFailure);
  let koffi: Koffi;
  let lib: ReturnType<Koffi['load']>;
  try {
    koffi = createRequire(import.meta.url)('koffi') as Koffi;
    lib = koffi.load('libcuda.so.1');
  } catch (e) {
    loadFailure = `no CUDA driver found (libcuda.so.1: ${(e as Error).message.replace(/^Failed to load shared library: /, '')})`;
    throw new NoGpuError(loadFailure);
  }
  const fns: Record<string, unknown> = { koffi };
  for (const [name, sig] of Object.entries(signatures)) fns[name] = lib.func(sig);
  driver = fns as Driver;
  return driver;
}

/** The error's name and message from the driver (or the number alone if even that fails). */
export function describeCudaError(code: number): { name: string; text: string } {
  const d = cudaDriver();
  const name = [null];
  const text = [null];
  const okName = d.cuGetErrorName(code, name) === 0;
  const okText = d.cuGetErrorString(code, text) === 0;
  return { name: okName && name[0] ? String(name[0]) : `CUDA error ${code}`, text: okText && text[0] ? String(text[0]) : 'unknown error' };
}

/** Throws a CudaError for a failed call: `doing` says what kt was doing (it starts the message). */
export function check(code: unknown, doing: string, hint?: string): void {
  if (code === 0) return;
  const n = Number(code);
  const { name, text } = describeCudaError(n);
  throw new CudaError(`${doing} failed: ${name} (${text})${hint ? `\n  hint: ${hint}` : ''}`, n, name);
}

// Device attributes (CUdevice_attribute) kt reads.
export const DeviceAttribute = { multiprocessorCount: 16, computeCapabilityMajor: 75, computeCapabilityMinor: 76, maxSharedPerBlockOptin: 97 } as const;
// Function attributes (CUfunction_attribute).
export const FunctionAttribute = { maxThreadsPerBlock: 0, numRegs: 4, maxDynamicSharedSizeBytes: 8 } as const;
// JIT options (CUjit_option) for cuModuleLoadDataEx's logs.
export const JitOption = { infoLogBuffer: 3, infoLogBufferSizeBytes: 4, errorLogBuffer: 5, errorLogBufferSizeBytes: 6 } as const;
