// Tuning a kernel spec (`kt tune`): the spec makes the inputs and the reference once, declares the space,
// and launches each candidate; results are stored under the spec's name, sizes and dtype, where `kt run` finds
// the best config for the same problem.
import os from 'node:os';
import { fileHash, sha256 } from '../compiler/cache.ts';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import { defaultTolerance, expectedOutputs, type Config, type Expected, type KernelSpec, type Sizes } from '../dsl/spec.ts';
import type { SampledExpected } from '../runtime/compare.ts';
import { gpu } from '../runtime/gpu.ts';
import { Random, type Tensor } from '../runtime/tensor.ts';
import { CompilePool } from './compile-pool.ts';
import { launchTarget } from './launch-target.ts';
import { bestResult, isFaster, ktVersion, readRecord, recordPath, type RecordIdentity } from './records.ts';
import { formatConfig } from './report.ts';
import { configKey, launchDefaults, resolveSpace, type ConfigSpace, type ProblemInfo } from './space.ts';
import { tune, type TuneOptions, type TuneOutcome } from './tuner.ts';

export type Backend = 'gpu' | 'interpreter';

/** The device part of a record's identity: the GPU with its compute capability and driver, or the CPU. */
export function deviceIdentity(backend: Backend): { device: string; driver: string } {
  if (backend === 'interpreter') return { device: `interpreter on ${os.cpus()[0]?.model.trim() ?? 'an unknown CPU'}`, driver: `node ${process.version}` };
  const info = gpu().info;
  return { device: `${info.name} (sm_${info.computeCapability.join('')})`, driver: `CUDA driver ${info.driverVersion}` };
}

const kernelFiles = (spec: KernelSpec): string[] => [...new Set(spec.kernels.flatMap((k) => (k.definition.site ? [k.definition.site.file] : [])))].sort();

export function specIdentity(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, backend: Backend): RecordIdentity {
  const files = kernelFiles(spec);
  return {
    kernel: spec.name,
    sourceHash: sha256(files.map((f) => `${f}:${fileHash(f) ?? ''}`).join('\n')),
    key: { ...sizes },
    dtypes: [dtype],
    ...deviceIdentity(backend),
    kt: ktVersion(),
  };
}

/** The device limits constraints see: the GPU's, or none on the interpreter. */
export function problemDevice(backend: Backend): ProblemInfo['device'] {
  return backend === 'gpu' ? { name: gpu().info.name, maxSharedPerBlock: gpu().info.maxSharedPerBlock } : undefined;
}

function specProblem(sizes: Sizes, dtype: DTypeName, backend: Backend): ProblemInfo {
  return { values: sizes, dtypes: [dtype], device: problemDevice(backend) };
}

/** The spec's named space for a problem, keeping only configs that agree with `fixed` (from `kt tune -c`). */
function specSpace(spec: KernelSpec, name: string, problem: ProblemInfo, fixed: Config = {}): ConfigSpace {
  const tuning = spec.tuning;
  if (!tuning) throw new RangeError(`spec '${spec.name}' declares no tuning space`);
  const definition = tuning.spaces[name];
  if (!definition) throw new RangeError(`spec '${spec.name}' has no tuning space '${name}'; its spaces are ${Object.keys(tuning.spaces).join(', ')}`);
  let configs = resolveSpace(definition, problem, tuning.prune).configs;
  // The interpreter runs a program the same way whatever its warps and stages: tune only the rest there.
  if (!problem.device) configs = configs.map((c) => ({ ...c, ...launchDefaults }));
  return resolveSpace(
    configs.filter((c) => Object.entries(fixed).every(([k, v]) => c[k] === v)),
    problem,
  );
}

/** A generator whose every draw is 0 (normal() too), for placeholder inputs: the spec's shapes without the cost of its randomness. */
class ZeroRandom extends Random {
  override nextUint32(): number {
    return 0;
  }
}

export interface SpecTuneRequest {
  readonly spec: KernelSpec;
  readonly sizes: Sizes;
  readonly dtype: DTypeName;
  readonly backend: Backend;
  readonly spaceName?: string;
  /** Parameters held at these values. */
  readonly fixed?: Config;
  readonly seed?: number;
}

export interface SpecTuneOutcome extends TuneOutcome {
  readonly workers: number | 'in-thread';
  /** Why compilation moved into the tuner's thread, if worker threads failed. */
  readonly workerFailure?: string;
}

/** Tunes a spec for one problem. */
export function tuneSpec(request: SpecTuneRequest, options: TuneOptions = {}): SpecTuneOutcome {
  const { spec, sizes, dtype, backend, seed = 0 } = request;
  const problem = specProblem(sizes, dtype, backend);
  const space = specSpace(spec, request.spaceName ?? 'default', problem, request.fixed);
  if (!space.size) throw new RangeError(`no config of ${spec.name}'s tuning space '${request.spaceName ?? 'default'}' is legal for ${Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(' ')} ${dtype}`);
  const identity = specIdentity(spec, sizes, dtype, backend);
  const pool = new CompilePool();
  // Unless the cache has every config, the workers load the compiler and parse the kernels while this thread
  // makes the inputs.
  const stored = readRecord(identity);
  if (options.force || space.configs.some((c) => !stored.has(configKey(c)))) pool.warmUp(kernelFiles(spec), space.size);
  // Inputs are made once the first compilations are under way: a run answered from the cache needs none.
  let made: { host: Record<string, Tensor>; inputs: Record<string, Tensor> } | undefined;
  const inputs = (): Record<string, Tensor> => {
    if (!made) {
      const host = spec.inputs(sizes, dtype, new Random(seed));
      made = { host, inputs: Object.fromEntries(Object.entries(host).map(([k, t]) => [k, backend === 'gpu' ? t.cuda() : t.clone()])) };
    }
    return made.inputs;
  };
  const outputs = (): Record<string, { tensor: Tensor; expected: Expected | SampledExpected }> =>
    Object.fromEntries(
      Object.entries(expectedOutputs(spec, (inputs(), made!.host), sizes, seed)).map(([name, expected]) => {
        const tensor = inputs()[name];
        if (!tensor) throw new Error(`spec ${spec.name}: its reference names output '${name}', which is not one of its input tensors`);
        return [name, { tensor, expected }];
      }),
    );
  // Compilation needs only the launches' arguments' dtypes, shapes and alignment: it captures launches on
  // placeholder inputs (the spec's, with every random draw 0, which are quick to make), so that the workers
  // compile while the real inputs are made.
  let placeholders: Record<string, Tensor> | undefined;
  const target = launchTarget({
    identity,
    space,
    backend,
    launch: (config) => spec.launch(inputs(), sizes, { ...spec.config, ...config }),
    compileLaunch: (config) => {
      placeholders ??= made?.host ?? spec.inputs(sizes, dtype, new ZeroRandom());
      spec.launch(placeholders, sizes, { ...spec.config, ...config });
    },
    outputs,
    tolerance: (d) => spec.tolerance?.(d as DTypeName) ?? defaultTolerance(d as DTypeName),
    pool,
  });
  try {
    const outcome = tune(target, options);
    return { ...outcome, workers: pool.threaded ? pool.size : 'in-thread', workerFailure: pool.failure };
  } finally {
    pool.close();
    target.finish();
    if (backend === 'gpu') for (const t of Object.values(made?.inputs ?? {})) t.dispose();
  }
}

/** The keys of every config of the spec's tuning spaces for a problem: a stored result is used only for one of them. */
function currentConfigKeys(spec: KernelSpec, problem: ProblemInfo): Set<string> {
  const keys = new Set<string>();
  for (const name of Object.keys(spec.tuning?.spaces ?? {})) for (const c of specSpace(spec, name, problem).configs) keys.add(configKey(c));
  return keys;
}

/**
 * The best stored config for a problem among the spec's current tuning spaces (for `kt run`), if it was tuned.
 * Faster stored configs that are no longer in any of its spaces (the space changed since they were tuned) are
 * not used, with a note on stderr: kt run would otherwise launch a config the spec no longer allows.
 */
export function tunedSpecConfig(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, backend: Backend): Config | undefined {
  if (!spec.tuning) return undefined;
  const results = [...readRecord(specIdentity(spec, sizes, dtype, backend)).values()];
  if (!results.length) return undefined;
  const current = currentConfigKeys(spec, specProblem(sizes, dtype, backend));
  const best = bestResult(results, current);
  const outside = results.filter((r) => r.status === 'ok' && !current.has(configKey(r.config)) && (!best || isFaster(r, best)));
  if (outside.length) {
    const fastest = bestResult(outside)!;
    console.warn(
      `kt: ignoring ${outside.length} tuned config${outside.length === 1 ? '' : 's'} of ${spec.name} that ${outside.length === 1 ? 'is' : 'are'} not in its current tuning spaces ` +
        `(the fastest: ${formatConfig(fastest.config)}, ${fastest.medianMs.toFixed(4)} ms); run kt tune again to measure the current space`,
    );
  }
  return best?.config;
}

/**
 * Why `kt run` for a tuned problem does not use the best config the tuning run found: the record could not be
 * written, or kt run reads another config from it (a faster one stored earlier). Undefined when it uses it.
 */
export function whyRunWillNotUse(outcome: SpecTuneOutcome, request: Pick<SpecTuneRequest, 'spec' | 'sizes' | 'dtype' | 'backend'>): string | undefined {
  if (!outcome.best) return 'no config ran correctly';
  if (outcome.recordError) return `the tuning record could not be written (${outcome.recordError})`;
  const used = tunedSpecConfig(request.spec, request.sizes, request.dtype, request.backend);
  if (!used) return `the tuning record ${recordPath(outcome.identity)} does not hold it`;
  if (configKey(used) !== configKey(outcome.best.config)) return `it uses ${formatConfig(used)}, the best result stored for this problem`;
  return undefined;
}
