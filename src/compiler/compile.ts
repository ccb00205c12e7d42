// From a kernel's source to optimised IR, for one specialisation: the frontend, then the pass pipeline.
import type { Operation } from './ir/core.ts';
import { verify } from './ir/verifier.ts';
import { Codegen, type ArgBinding } from './frontend/codegen.ts';
import type { KernelParam } from './frontend/signature.ts';
import type { ResolvedFunction } from './frontend/source.ts';
import { canonicalizePass } from './passes/canonicalize.ts';
import { csePass } from './passes/cse.ts';
import { dcePass } from './passes/dce.ts';
import { decomposeTf32x3Pass } from './passes/decompose-tf32x3.ts';
import { inlinePass } from './passes/inline.ts';
import { runPasses, type Pass, type PassManagerOptions } from './passes/pass-manager.ts';
import { unrollPass } from './passes/unroll.ts';

/** The target-independent pipeline: inline helpers, simplify, unroll static loops, simplify again. */
export const defaultPipeline: readonly Pass[] = [inlinePass, decomposeTf32x3Pass, canonicalizePass, csePass, unrollPass, canonicalizePass, csePass, dcePass];

export interface CompiledIr {
  readonly module: Operation;
  /** The kernel's tt.func in the module. */
  readonly kernel: Operation;
  readonly staticPrints: readonly string[];
  /** The source files the kernel and its helpers come from. */
  readonly sources: readonly string[];
}

export interface CompileOptions extends PassManagerOptions {
  /** Skip the pass pipeline (the frontend's IR, verified). */
  noPasses?: boolean;
}

export function compileToIr(fn: ResolvedFunction, params: readonly KernelParam[], args: readonly ArgBinding[], options: CompileOptions = {}): CompiledIr {
  const cg = new Codegen();
  const kernel = cg.compileKernel(fn, params.map((p) => p.name), args);
  verify(cg.module);
  const module = options.noPasses ? cg.module : runPasses(cg.module, defaultPipeline, options);
  return { module, kernel, staticPrints: cg.staticPrints, sources: [...cg.sources] };
}
