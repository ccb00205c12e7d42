// Loading a compiled kernel into the driver and launching it. The module is loaded from a cubin when ptxas made
// one, else from PTX (the driver compiles it); a module the driver rejects comes back with the driver's log.
// Arguments are packed into native memory allocated once per loaded kernel: a launch writes the values in
// place and passes the same pointer array each time, so launching allocates nothing.
import type { KernelBinary } from '../compiler/gpu/binary.ts';
import { FloatType, IntType, PointerType, type Type } from '../compiler/ir/types.ts';
import { f16ToBits, bf16ToBits } from '../numerics.ts';
import { CudaError, FunctionAttribute, JitOption, check, describeCudaError, type Driver } from './cuda.ts';
import { checkAfterKernels, gpu, noteLaunch, type GpuStream } from './gpu.ts';
import { nativeOn } from '../gpu-targets.ts';
import type { KernelArgValue } from '../interp/interpreter.ts';
import { Tensor } from './tensor.ts';

type ParamWriter = (view: DataView, offset: number, v: KernelArgValue, name: string) => void;

interface ParamSlot {
  readonly offset: number;
  readonly write: ParamWriter;
  readonly name: string;
}

const LOG_BYTES = 16384;

function paramWriter(t: Type): { size: number; write: ParamWriter } {
  if (t instanceof PointerType) {
    return {
      size: 8,
      write: (view, off, v, name) => {
        if (!(v instanceof Tensor)) throw new TypeError(`${name} must be a Tensor`);
        view.setBigUint64(off, v.deviceAddress(name), true);
      },
    };
  }
  if (t instanceof IntType) {
    if (t.width === 64) return { size: 8, write: (view, off, v) => view.setBigInt64(off, BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)))), true) };
    if (t.width === 1) return { size: 4, write: (view, off, v) => view.setUint32(off, v ? 1 : 0, true) };
    const shift = 32 - t.width;
    return { size: 4, write: (view, off, v) => view.setInt32(off, (Number(v) << shift) >> shift, true) };
  }
  if (t instanceof FloatType) {
    switch (t.width) {
      case 64:
        return { size: 8, write: (view, off, v) => view.setFloat64(off, Number(v), true) };
      case 32:
        return { size: 4, write: (view, off, v) => view.setFloat32(off, Number(v), true) };
      default: {
        const bits = t.text === 'f16' ? f16ToBits : bf16ToBits;
        return { size: 2, write: (view, off, v) => view.setUint16(off, bits(Number(v)), true) };
      }
    }
  }
  throw new TypeError(`kt cannot pass an argument of type ${t.text} to a GPU kernel`);
}

/** A kernel loaded on the GPU, ready to launch. */
export class LoadedKernel {
  private readonly fn: unknown;
  private readonly cuLaunchKernel: Driver['cuLaunchKernel'];
  private readonly slots: ParamSlot[];
  private readonly view: DataView;
  private readonly paramPointers: bigint;

  constructor(
    private readonly binary: KernelBinary,
    paramTypes: readonly Type[],
    paramNames: readonly string[],
  ) {
    const { d, info } = gpu();
    if (binary.sharedBytes > info.maxSharedPerBlock) {
      throw new CudaError(
        `kernel '${binary.name}' needs ${binary.sharedBytes} bytes of shared memory per program, and ${info.name} allows ${info.maxSharedPerBlock}\n  hint: use smaller blocks (or fewer stages)`,
        0,
        'KT_OUT_OF_SHARED_MEMORY',
      );
    }
    this.cuLaunchKernel = d.cuLaunchKernel;
    const module = this.load();
    const fn = [null as unknown];
    check(d.cuModuleGetFunction(fn, module, binary.name), `finding kernel '${binary.name}' in its module`);
    this.fn = fn[0];
    if (binary.sharedBytes > 48 * 1024) {
      check(d.cuFuncSetAttribute(this.fn, FunctionAttribute.maxDynamicSharedSizeBytes, binary.sharedBytes), `allowing kernel '${binary.name}' ${binary.sharedBytes} bytes of shared memory`);
    }
    const attr = (a: number): number => {
      const v = [0];
      check(d.cuFuncGetAttribute(v, a, this.fn), 'reading a kernel attribute');
      return v[0]!;
    };
    const maxThreads = attr(FunctionAttribute.maxThreadsPerBlock);
    if (maxThreads < binary.numThreads) {
      throw new CudaError(
        `kernel '${binary.name}' needs ${binary.numThreads} threads per program but its ${attr(FunctionAttribute.numRegs)} registers per thread allow only ${maxThreads}\n  hint: use fewer warps (numWarps) or smaller blocks`,
        0,
        'KT_OUT_OF_REGISTERS',
      );
    }
    // Argument values, each at its natural alignment, and the array of pointers to them the driver reads.
    let offset = 0;
    this.slots = paramTypes.map((t, i) => {
      const { size, write } = paramWriter(t);
      offset = Math.ceil(offset / size) * size;
      // How errors name the argument: "kernel 'add': argument 'x'".
      const slot = { offset, write, name: `kernel '${binary.name}': argument '${paramNames[i] ?? `arg${i}`}'` };
      offset += size;
      return slot;
    });
    const koffi = d.koffi;
    const values: bigint = koffi.alloc('uint8_t', Math.max(8, offset));
    this.view = new DataView(koffi.view(values, Math.max(8, offset)));
    this.paramPointers = koffi.alloc('uint64_t', Math.max(1, this.slots.length));
    const pointers = new BigUint64Array(koffi.view(this.paramPointers, 8 * Math.max(1, this.slots.length)));
    this.slots.forEach((s, i) => (pointers[i] = values + BigInt(s.offset)));
  }

  /**
   * Loads the module with log buffers, so a rejected module comes back with the driver's reasons: the cubin
   * when there is one for this GPU's architecture (a driver older than the ptxas that made it refuses it: then the
   * PTX), else the PTX, which the driver compiles for this GPU (PTX for sm_80 runs on a Hopper; its cubin does not,
   * and trying it would be a failed driver call that compute-sanitizer reports).
   */
  private load(): unknown {
    const b = this.binary;
    if (b.cubin && cubinRunsOn(b.ptx, gpu().info.computeCapability)) {
      try {
        return loadModule(b.name, b.cubin, 'cubin');
      } catch (e) {
        if (!(e instanceof CudaError)) throw e;
      }
    }
    return loadModule(b.name, Buffer.from(`${b.ptx}\0`, 'utf8'), 'PTX');
  }

  /** Launches on `grid` (asynchronously, on `stream` or the default stream) with one value per kernel parameter. */
  launch(grid: readonly [number, number, number], args: readonly KernelArgValue[], stream: GpuStream | undefined = undefined): void {
    const slots = this.slots;
    const view = this.view;
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      s.write(view, s.offset, args[i]!, s.name);
    }
    const [gx, gy, gz] = grid;
    if (gx === 0 || gy === 0 || gz === 0) return;
    const b = this.binary;
    const code = this.cuLaunchKernel(this.fn, gx, gy, gz, b.numThreads, 1, 1, b.sharedBytes, stream?.handle ?? null, this.paramPointers, null);
    if (code !== 0) checkAfterKernels(code, `launching ${this.describeLaunch(grid)}`);
    noteLaunch(this, grid);
  }

  describeLaunch(grid: readonly [number, number, number]): string {
    return `kernel '${this.binary.name}' on grid [${grid.join(', ')}] with ${this.binary.numThreads} threads per program`;
  }
}

/** Whether a cubin assembled from this PTX runs on a GPU of compute capability [major, minor] (see nativeOn). */
export function cubinRunsOn(ptx: string, computeCapability: readonly [number, number]): boolean {
  const target = /^\s*\.target\s+(sm_\w+)/m.exec(ptx)?.[1];
  return target === undefined || nativeOn(target, computeCapability);
}

function loadModule(kernelName: string, image: Uint8Array, kind: 'cubin' | 'PTX'): unknown {
  const { d } = gpu();
  const koffi = d.koffi;
  const errorLog: bigint = koffi.alloc('char', LOG_BYTES);
  const infoLog: bigint = koffi.alloc('char', LOG_BYTES);
  try {
    new Uint8Array(koffi.view(errorLog, LOG_BYTES))[0] = 0;
    new Uint8Array(koffi.view(infoLog, LOG_BYTES))[0] = 0;
    const options = new Int32Array([JitOption.errorLogBuffer, JitOption.errorLogBufferSizeBytes, JitOption.infoLogBuffer, JitOption.infoLogBufferSizeBytes]);
    const values = new BigUint64Array([errorLog, BigInt(LOG_BYTES), infoLog, BigInt(LOG_BYTES)]);
    const module = [null as unknown];
    const code = Number(d.cuModuleLoadDataEx(module, image, options.length, options, values));
    if (code !== 0) {
      const { name, text } = describeCudaError(code);
      const log = readCString(koffi, errorLog) || readCString(koffi, infoLog);
      throw new CudaError(
        `the CUDA driver rejected the ${kind} of kernel '${kernelName}': ${name} (${text})${log ? `\n${log.trimEnd()}` : ''}\n  hint: this is a kt compiler bug; \`kt compile --emit ptx\` prints the PTX`,
        code,
        name,
      );
    }
    return module[0];
  } finally {
    koffi.free(errorLog);
    koffi.free(infoLog);
  }
}

function readCString(koffi: { view(p: unknown, n: number): ArrayBuffer }, ptr: bigint): string {
  const bytes = new Uint8Array(koffi.view(ptr, LOG_BYTES));
  const end = bytes.indexOf(0);
  return Buffer.from(bytes.subarray(0, end < 0 ? LOG_BYTES : end)).toString('utf8');
}
