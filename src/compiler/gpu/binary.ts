// A kernel specialisation compiled for the GPU: PTX (and a cubin when ptxas is available), with what the
// launcher needs to know. Cached on disk by a hash of the kernel's IR (which holds the kernel and every helper
// it calls, specialised on its argument types and constexprs), the argument facts, the launch options, the
// target and kt's own fingerprint; an entry whose checksum does not match (edited, truncated, or made for
// another key) is reported once and rebuilt.
import { cacheKey, readEntry, writeEntry } from '../cache.ts';
import type { Operation } from '../ir/core.ts';
import { printOp } from '../ir/printer.ts';
import { factsKey, type ArgFact } from '../passes/specialize-arguments.ts';
import { compileToPtx } from './compile.ts';
import { assemble, findPtxas, type PtxasReport } from './ptxas.ts';

export interface GpuBuildOptions {
  readonly numWarps: number;
  readonly numStages: number;
  /** sm_90, ... */
  readonly target: string;
  readonly argFacts: readonly ArgFact[];
}

/** What the runtime loads and launches. */
export interface KernelBinary {
  readonly name: string;
  readonly ptx: string;
  /** The cubin ptxas made from the PTX, when it was available. */
  readonly cubin?: Uint8Array;
  readonly sharedBytes: number;
  readonly numThreads: number;
  /** Registers and spills, when ptxas assembled it. */
  readonly report?: Omit<PtxasReport, 'log'>;
}

interface BinaryEntry {
  name: string;
  ptx: string;
  cubin?: string;
  sharedBytes: number;
  numThreads: number;
  report?: Omit<PtxasReport, 'log'>;
}

const isEntry = (v: unknown): v is BinaryEntry => {
  const e = v as BinaryEntry;
  return typeof e === 'object' && e !== null && typeof e.name === 'string' && typeof e.ptx === 'string' && typeof e.sharedBytes === 'number' && typeof e.numThreads === 'number' && (e.cubin === undefined || typeof e.cubin === 'string');
};

/** Compiles a specialisation's module (target-independent IR after its passes) for the GPU, through the disk cache. */
export function buildGpuBinary(module: Operation, options: GpuBuildOptions): KernelBinary {
  const ptxas = findPtxas();
  const key = cacheKey('gpu', printOp(module), factsKey(options.argFacts), String(options.numWarps), String(options.numStages), options.target, ptxas ?? 'no-ptxas');
  const cached = readEntry('gpu', key, isEntry);
  if (cached) {
    const { cubin, ...rest } = cached;
    return { ...rest, cubin: cubin === undefined ? undefined : Buffer.from(cubin, 'base64') };
  }
  const compiled = compileToPtx(module, { numWarps: options.numWarps, target: options.target, argFacts: options.argFacts, numStages: options.numStages });
  let binary: KernelBinary = { name: compiled.kernelName, ptx: compiled.ptx, sharedBytes: compiled.sharedBytes, numThreads: compiled.numThreads };
  if (ptxas) {
    const { cubin, log: _log, ...report } = assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
    binary = { ...binary, cubin, report };
  }
  writeEntry('gpu', key, { ...binary, cubin: binary.cubin && Buffer.from(binary.cubin).toString('base64') } satisfies BinaryEntry);
  return binary;
}
