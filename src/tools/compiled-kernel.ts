// What kernel.warmup() returns: one specialisation's compiled stages, to read rather than to run. Text stages are
// made when first read (printing IR takes time a warm-up need not spend), the GPU IR by compiling again, since the
// disk cache keeps only the PTX and the cubin.
import type { GpuBuildOptions, KernelBinary } from '../compiler/gpu/binary.ts';
import { compileToPtx } from '../compiler/gpu/compile.ts';
import type { Operation } from '../compiler/ir/core.ts';
import { printOp } from '../compiler/ir/printer.ts';
import type { Specialization } from '../dsl/kernel.ts';

/** A kernel's specialisation compiled for the GPU: its stages and what ptxas reported. */
export class CompiledGpuKernel {
  private gpuIrText?: string;

  constructor(
    private readonly module: Operation,
    private readonly options: GpuBuildOptions,
    private readonly binary: KernelBinary,
  ) {}

  /** The target it was compiled for, as asked (sm_90, ...); the PTX targets sm_90a when the kernel uses wgmma. */
  get target(): string {
    return this.options.target;
  }

  get numWarps(): number {
    return this.options.numWarps;
  }

  get numStages(): number {
    return this.options.numStages;
  }

  /** The IR after the GPU passes: every tile with its layout, shared memory, the pipelined loops (`kt compile --emit gpu-ir`). */
  get gpuIr(): string {
    this.gpuIrText ??= printOp(compileToPtx(this.module, this.options).gpuIr);
    return this.gpuIrText;
  }

  get ptx(): string {
    return this.binary.ptx;
  }

  /** ptxas's cubin; undefined without ptxas (the driver then compiles the PTX when it loads it). */
  get cubin(): Uint8Array | undefined {
    return this.binary.cubin;
  }

  /** Registers per thread, from ptxas; undefined without ptxas. */
  get registers(): number | undefined {
    return this.binary.report?.registers;
  }

  /** Bytes of registers spilled to local memory (stores), from ptxas; undefined without ptxas. */
  get spillStores(): number | undefined {
    return this.binary.report?.spillStores;
  }

  /** Bytes read back from spills (loads), from ptxas; undefined without ptxas. */
  get spillLoads(): number | undefined {
    return this.binary.report?.spillLoads;
  }

  /** Shared memory per program, in bytes. */
  get sharedBytes(): number {
    return this.binary.sharedBytes;
  }

  /** Threads per program (32 per warp). */
  get numThreads(): number {
    return this.binary.numThreads;
  }
}

/** A kernel's specialisation, compiled: the IR, the interpreter's program, and the GPU stages when it was compiled for a GPU. */
export class CompiledKernel {
  private irText?: string;

  constructor(
    /** The kernel's name. */
    readonly name: string,
    private readonly specialization: Specialization,
    /** The GPU stages: present when the warm-up compiled for a GPU (GPU tensors, or a `target`). */
    readonly gpu: CompiledGpuKernel | undefined,
  ) {}

  /** The IR after the pass pipeline (`kt compile --emit ir`). */
  get ir(): string {
    this.irText ??= this.specialization.irText();
    return this.irText;
  }

  /** The JavaScript the interpreter runs for each program of a launch (built when first read, if the warm-up did not). */
  get interpreterSource(): string {
    return this.specialization.interpreted().source;
  }
}
