// A launch through the GPU compiler without a GPU: the kernel is compiled to per-thread IR exactly as for the
// GPU (same passes, same argument facts) and run by the SIMT simulator on CPU tensors. When ptxas is on the
// PATH, the kernel's PTX is assembled too (for the target, sm_90 unless asked), so that PTX the hardware would refuse fails here.
import { resolveGrid, type Grid, type Kernel } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../../src/compiler/gpu/ptxas.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { simulate, type SimulationResult } from './simt.ts';

/** Shared memory per program on an H100 or H200 (cudaDevAttrMaxSharedMemoryPerBlockOptin). */
const MAX_SHARED_BYTES = 232448;

export function simulateLaunch(k: Kernel, grid: Grid, args: readonly unknown[], target = 'sm_90'): SimulationResult {
  const def = k.definition;
  const bound = def.bind(args);
  const dims = resolveGrid(grid, bound.meta, def.name);
  const spec = def.specialize(bound.bindings);
  const numWarps = bound.options.numWarps ?? 4;
  const compiled = compileToPtx(spec.ir.module, { numWarps, numStages: bound.options.numStages, argFacts: argumentFacts(bound.runtime), target });
  const ptxas = findPtxas();
  if (ptxas) assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
  // What the GPUs kt targets allow a program (227 KB on Hopper): a kernel needing more would be refused at launch.
  if (compiled.sharedBytes > MAX_SHARED_BYTES) throw new Error(`kernel '${compiled.kernelName}' needs ${compiled.sharedBytes} bytes of shared memory per program; an H100 or H200 allows ${MAX_SHARED_BYTES}`);
  const fn = compiled.threadIr.regions[0]!.entry.ops[0]!;
  return simulate(fn, { grid: dims, numWarps, sharedBytes: compiled.sharedBytes, args: [...bound.runtime] });
}
