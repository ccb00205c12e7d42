// A compile job: one captured launch's specialisation, described in plain data so that a worker thread can
// compile it. A job fills kt's disk caches (the IR, and the GPU binary with ptxas's cubin); the launch that
// follows in the tuner's thread then finds both there and only loads the result.
import type { ArgBinding } from '../compiler/frontend/codegen.ts';
import { dtypeByName, pointerTo, type DType } from '../compiler/semantic/dtype.ts';
import { KType, deserializeConstexpr, serializeConstexpr, type SerializedConst } from '../compiler/semantic/values.ts';
import type { ArgFact } from '../compiler/passes/specialize-arguments.ts';
import { loadSource } from '../compiler/frontend/source.ts';
import { KernelDefinition, argumentFacts, type CapturedLaunch } from '../dsl/kernel.ts';

type SerializedBinding = { readonly constexpr: SerializedConst } | { readonly dtype: string; readonly pointer: boolean };

export interface CompileJob {
  readonly kernel: { readonly file: string; readonly line: number; readonly name: string };
  readonly bindings: readonly SerializedBinding[];
  /** Also build the GPU binary, for these argument facts and options. */
  readonly gpu?: { readonly facts: readonly ArgFact[]; readonly numWarps: number; readonly numStages: number; readonly target: string };
}

const dtypeOf = (name: string): DType => {
  const d = dtypeByName(name);
  if (!d) throw new Error(`compile job: unknown dtype ${name}`);
  return d;
};

function serializeBinding(b: ArgBinding): SerializedBinding {
  if (b.kind === 'constexpr') return { constexpr: serializeConstexpr(b.value) };
  return b.type.isPointer ? { dtype: (b.type.element as { pointee: DType }).pointee.name, pointer: true } : { dtype: b.type.dtype.name, pointer: false };
}

function deserializeBinding(b: SerializedBinding): ArgBinding {
  if ('constexpr' in b) return { kind: 'constexpr', value: deserializeConstexpr(b.constexpr, dtypeOf) };
  const d = dtypeOf(b.dtype);
  return { kind: 'runtime', type: new KType(b.pointer ? pointerTo(d) : d, []) };
}

/** The job that compiles what a captured launch needs (for the GPU when `target` is given). */
export function compileJobFor(launch: CapturedLaunch, target: string | undefined): CompileJob {
  const { definition, bound } = launch;
  const site = definition.site;
  if (!site) throw new Error(`kernel '${definition.name}' has no known source file`);
  return {
    kernel: { file: site.file, line: site.line, name: definition.functionName },
    bindings: bound.bindings.map(serializeBinding),
    gpu: target === undefined ? undefined : { facts: argumentFacts(bound.runtime), numWarps: bound.options.numWarps ?? 4, numStages: bound.options.numStages ?? 3, target },
  };
}

/** Compiles a job into the disk caches; throws what compilation throws. */
export function runCompileJob(job: CompileJob): void {
  const definition = new KernelDefinition(job.kernel.name, { file: job.kernel.file, line: job.kernel.line });
  const specialization = definition.specialize(job.bindings.map(deserializeBinding));
  if (job.gpu) specialization.gpu(job.gpu.facts, job.gpu);
}

/** Readies a worker for jobs on a kernel file: loads the TypeScript parser and parses the file. */
export function warmUp(file: string): void {
  loadSource(file);
}
