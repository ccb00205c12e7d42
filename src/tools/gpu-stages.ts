// A specialisation compiled for the GPU afresh, not through the disk cache (KT_ALWAYS_COMPILE, KT_DUMP_DIR),
// keeping what each stage made: the GPU IR, the PTX, and ptxas's cubin and report when ptxas is there.
import type { KernelBinary, GpuBuildOptions } from '../compiler/gpu/binary.ts';
import { compileToPtx, type GpuCompiled } from '../compiler/gpu/compile.ts';
import { assemble, findPtxas, type Assembled } from '../compiler/gpu/ptxas.ts';
import type { Operation } from '../compiler/ir/core.ts';

export interface GpuStages {
  readonly compiled: GpuCompiled;
  /** ptxas's cubin and report; undefined without ptxas. */
  readonly assembled: Assembled | undefined;
  /** What the runtime loads. */
  readonly binary: KernelBinary;
}

/** Compiles a specialisation's module (target-independent IR after its passes) for the GPU, every stage kept. */
export function compileGpuStages(module: Operation, options: GpuBuildOptions): GpuStages {
  const compiled = compileToPtx(module, { numWarps: options.numWarps, target: options.target, argFacts: options.argFacts, numStages: options.numStages });
  const ptxas = findPtxas();
  const assembled = ptxas ? assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas) : undefined;
  const report = assembled && { registers: assembled.registers, spillStores: assembled.spillStores, spillLoads: assembled.spillLoads, stackBytes: assembled.stackBytes };
  const binary: KernelBinary = { name: compiled.kernelName, ptx: compiled.ptx, cubin: assembled?.cubin, sharedBytes: compiled.sharedBytes, numThreads: compiled.numThreads, report };
  return { compiled, assembled, binary };
}
