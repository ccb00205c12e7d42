// From optimised IR to PTX: the GPU passes (layouts, coalescing, conversion removal, shared-memory allocation,
// barriers), the lowering to per-thread IR, and the PTX printer.
import { Block, Operation, Region, unknownLoc } from '../ir/core.ts';
import { cloneOperation } from '../ir/core.ts';
import { verify } from '../ir/verifier.ts';
import { accelerateMatmul } from '../passes/accelerate-matmul.ts';
import { allocateSharedMemoryPass } from '../passes/allocate-shared-memory.ts';
import { canonicalizePass } from '../passes/canonicalize.ts';
import { coalescePass } from '../passes/coalesce.ts';
import { convertToGpu } from '../passes/convert-to-gpu.ts';
import { csePass } from '../passes/cse.ts';
import { dcePass } from '../passes/dce.ts';
import { insertBarriersPass } from '../passes/insert-barriers.ts';
import { runPasses, type PassManagerOptions } from '../passes/pass-manager.ts';
import { DEFAULT_STAGES, pipelineLoads } from '../passes/pipeline-loads.ts';
import { removeLayoutConversionsPass } from '../passes/remove-layout-conversions.ts';
import { specializeArguments, type ArgFact } from '../passes/specialize-arguments.ts';
import { WARP_SIZE } from './layout-choice.ts';
import { Lowering } from './lowering/lowering.ts';
import { printPtx } from './ptx.ts';

export interface GpuOptions extends PassManagerOptions {
  numWarps: number;
  /** sm_90 by default. */
  target?: string;
  /** What the launch's argument values tell the compiler, one per run-time argument (nothing known by default). */
  argFacts?: readonly ArgFact[];
  /** Stages of the software pipeline of loops whose loads feed tensor-core dots (Triton's num_stages; 3 by default). */
  numStages?: number;
}

export interface GpuCompiled {
  /** The GPU IR (tiles with layouts), after its passes. */
  readonly gpuIr: Operation;
  /** The per-thread IR the PTX comes from. */
  readonly threadIr: Operation;
  readonly ptx: string;
  readonly kernelName: string;
  readonly sharedBytes: number;
  readonly numThreads: number;
  /** The target the PTX is for: the one asked for, or its architecture-specific variant (sm_90a) when the kernel needs wgmma. */
  readonly target: string;
}

/** The GPU passes: specialise on argument facts and simplify again, give tiles layouts, allocate, synchronise. */
export function gpuPipeline(numWarps: number, argFacts: readonly ArgFact[], target = 'sm_90', numStages = DEFAULT_STAGES) {
  return [
    specializeArguments(argFacts),
    canonicalizePass,
    csePass,
    dcePass,
    convertToGpu(numWarps),
    accelerateMatmul(target),
    coalescePass,
    removeLayoutConversionsPass,
    pipelineLoads(numStages),
    dcePass,
    allocateSharedMemoryPass,
    insertBarriersPass,
  ];
}


/** Compiles a module holding one kernel (target-independent IR after its passes) to PTX. */
export function compileToPtx(module: Operation, options: GpuOptions): GpuCompiled {
  // The GPU passes rewrite the module: work on a copy so the target-independent IR stays as it was.
  const copy = new Operation('builtin.module', [], [], { ...module.attrs }, [new Region([new Block()])], unknownLoc);
  const mapping = new Map();
  for (const fn of module.regions[0]!.entry.ops) copy.regions[0]!.entry.append(cloneOperation(fn, mapping));
  const kernelArgs = copy.regions[0]!.entry.ops.find((op) => op.name === 'tt.func' && op.attrs['sym_visibility'] !== 'private')?.regions[0]!.entry.args ?? [];
  const facts = options.argFacts ?? kernelArgs.map(() => ({ divisibleBy16: false, equalsOne: false }));
  const gpuIr = runPasses(copy, gpuPipeline(options.numWarps, facts, options.target, options.numStages), options);
  const kernel = gpuIr.regions[0]!.entry.ops.find((op) => op.name === 'tt.func' && op.attrs['sym_visibility'] !== 'private');
  if (!kernel) throw new Error('the module has no kernel');
  const threadFn = new Lowering(kernel).lower();
  const threadIr = new Operation('builtin.module', [], [], {}, [new Region([new Block()])], unknownLoc);
  threadIr.regions[0]!.entry.append(threadFn);
  verify(threadIr);
  const sharedBytes = (gpuIr.attrs['ttg.shared'] as number) ?? 0;
  const numThreads = WARP_SIZE * options.numWarps;
  const target = needsArchSpecific(threadFn) ? `${options.target ?? 'sm_90'}a`.replace(/aa$/, 'a') : (options.target ?? 'sm_90');
  const ptx = printPtx(threadFn, { target, numThreads, sharedBytes });
  return { gpuIr, threadIr, ptx, kernelName: kernel.attrs['sym_name'] as string, sharedBytes, numThreads, target };
}

/** wgmma exists only in the architecture-specific targets (sm_90a), which code for other GPUs cannot run on. */
function needsArchSpecific(fn: Operation): boolean {
  let found = false;
  fn.walk((op) => {
    if (op.name === 'gpu.wgmma') found = true;
  });
  return found;
}
