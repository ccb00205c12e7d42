// autotune(options, kernel): Triton's @triton.autotune for kt. The first launch with a new key (the values
// of the key's arguments, every tensor's dtype, and where it runs) tunes over the configs: each candidate is
// compiled on worker threads, checked against the interpreter, and timed on the launch's own tensors; the
// results go into the tuning cache, so later launches, in this process or the next, use the best config at
// once. Adding configs later measures only the new ones.
//
//   export const matmul = autotune({ configs: [{ BLOCK_M: 64, ... , numWarps: 4 }, ...], key: ['M', 'N', 'K'] },
//     kernel(function matmul(a: Ptr, b: Ptr, c: Ptr, M: i32, ..., BLOCK_M: constexpr, ...) { ... }));
//   matmul((meta) => [cdiv(M, meta.BLOCK_M as number) * cdiv(N, meta.BLOCK_N as number)], a, b, c, M, N, K, ...);
import { fileHash } from '../compiler/cache.ts';
import { CompilePool } from '../autotune/compile-pool.ts';
import { launchTarget } from '../autotune/launch-target.ts';
import { ktVersion, type RecordIdentity } from '../autotune/records.ts';
import { formatConfig, resultTable } from '../autotune/report.ts';
import { resolveSpace, type PruneHook, type SpaceDefinition } from '../autotune/space.ts';
import { deviceIdentity, problemDevice } from '../autotune/spec-tuning.ts';
import type { Budget } from '../autotune/strategies.ts';
import { tune, type TuneOutcome } from '../autotune/tuner.ts';
import { CompileError } from '../compiler/diagnostics.ts';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import type { KernelArgValue } from '../interp/interpreter.ts';
import { KernelRuntimeError } from '../interp/memory.ts';
import { Tensor } from '../runtime/tensor.ts';
import { copiesOnHost, runsOnGpu, splitArguments, type Grid, type Kernel, type KernelDefinition } from './kernel.ts';
import { defaultTolerance, type Config, type Tolerance } from './spec.ts';

export interface AutotuneOptions {
  /** The configs to try: a list (Triton's configs=[...]), or each parameter's choices with constraints. */
  readonly configs: SpaceDefinition;
  /** The arguments whose values select a tuning result (with every tensor argument's dtype). */
  readonly key: readonly string[];
  /** Drops configs before any is compiled, given the launch's arguments by name (Triton's prune_configs_by). */
  readonly prune?: PruneHook;
  /**
   * Tensor arguments set to zero before every trial run (for kernels that accumulate into them). Whatever the
   * trial runs do, every tensor is put back as it was before the launch that tuned runs for real.
   */
  readonly resetToZero?: readonly string[];
  /** Tensor arguments put back to their values after every trial run (for kernels that update them in place). */
  readonly restoreValue?: readonly string[];
  /** 'exhaustive' (the default up to 64 configs), 'random' or 'guided'. */
  readonly strategy?: string;
  readonly budget?: Budget;
  /**
   * How each candidate is checked before its time counts: after one run, its tensors must match what the
   * interpreter makes of them with the first config (the first that runs, if it does not): 'interpreter', the
   * default; so put a config you trust first. 'none' checks nothing (for launches too large to interpret).
   */
  readonly check?: 'interpreter' | 'none';
  /** Tolerances for the check, by dtype (default: a little looser than kt run's, as block sizes reorder sums). */
  readonly tolerance?: (dtype: DTypeName) => Tolerance;
  /** Print a line when a key is tuned, and the result table (also with KT_PRINT_AUTOTUNING=1). */
  readonly verbose?: boolean;
}

/** An autotuned kernel: call it like the kernel, without the tuned parameters. */
export interface TunedKernel {
  (grid: Grid, ...args: unknown[]): void;
  readonly definition: KernelDefinition;
  /** The config launches with these arguments use (tuning first, if their key is new). */
  bestConfig(grid: Grid, ...args: unknown[]): Config;
  /** What the tuning runs of this process found, by key. */
  readonly tuned: ReadonlyMap<string, TuneOutcome>;
}


function checkTolerance(dtype: DTypeName): Tolerance {
  const t = defaultTolerance(dtype);
  return dtype === 'f32' ? { atol: 1e-4, rtol: 1e-4 } : t;
}

/** Describes a key argument's value for the key: numbers, strings and booleans as they are, tensors by shape. */
function keyValue(name: string, v: unknown): string | number | boolean {
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return String(v);
  if (v instanceof Tensor) return `[${v.shape.join(',')}]`;
  throw new TypeError(`autotune: key argument '${name}' must be a number, string, boolean or tensor, got ${v === null ? 'null' : typeof v}`);
}

export function autotune(options: AutotuneOptions, k: Kernel): TunedKernel {
  if (typeof k !== 'function' || !('definition' in k)) throw new TypeError('autotune() takes its options and a kernel(...)');
  if (!options.key?.length) throw new TypeError('autotune(): give the key, the names of the arguments whose values select a tuning result');
  const definition = k.definition;
  const chosen = new Map<string, Config>();
  const tuned = new Map<string, TuneOutcome>();
  const verbose = options.verbose === true || process.env['KT_PRINT_AUTOTUNING'] === '1';

  /** Splits a call's arguments into positional ones and named ones, and finds the key's values. */
  const keyOf = (args: readonly unknown[]): { positional: unknown[]; named: Record<string, unknown>; key: string; values: Record<string, string | number | boolean> } => {
    const { positional, named } = splitArguments(args);
    const params = definition.params;
    const values: Record<string, string | number | boolean> = {};
    for (const name of options.key) {
      const i = params.findIndex((p) => p.name === name);
      if (i < 0) throw new CompileError(`autotune: kernel '${definition.name}' has no argument '${name}' (named in the key)`, definition.signature().span, `its arguments are ${params.map((p) => p.name).join(', ')}`);
      values[name] = keyValue(name, i < positional.length ? positional[i] : named[name]);
    }
    const tensors = args.filter((a): a is Tensor => a instanceof Tensor);
    const key = JSON.stringify([values, tensors.map((t) => t.dtype.name), tensors.some((t) => t.isCuda)]);
    return { positional, named, key, values };
  };

  const tuneFor = (grid: Grid, positional: unknown[], named: Record<string, unknown>, values: Record<string, string | number | boolean>): Config => {
    // The arguments by name (the tuned ones are still missing: they come from each config).
    const params = definition.params;
    const meta: Record<string, unknown> = {};
    params.forEach((p, i) => (meta[p.name] = i < positional.length ? positional[i] : named[p.name]));
    const runtime = params.filter((p) => p.kind !== 'constexpr').map((p) => meta[p.name]) as KernelArgValue[];
    const backend = runsOnGpu(runtime, params, definition.name) ? 'gpu' : 'interpreter';
    const tensors = runtime.filter((v): v is Tensor => v instanceof Tensor);
    const problem = { values: meta, dtypes: tensors.map((t) => t.dtype.name), device: problemDevice(backend) };
    const space = resolveSpace(options.configs, problem, options.prune);
    if (!space.size) throw new CompileError(`autotune: no config of kernel '${definition.name}' is legal for ${JSON.stringify(values)}`, definition.signature().span, 'widen the configs or relax their constraints');
    const site = definition.site;
    const identity: RecordIdentity = {
      kernel: definition.name,
      sourceHash: site ? (fileHash(site.file) ?? '') : '',
      key: values,
      dtypes: problem.dtypes,
      ...deviceIdentity(backend),
      kt: ktVersion(),
    };
    const tensorArg = (name: string): Tensor => {
      const v = meta[name];
      if (!(v instanceof Tensor)) throw new CompileError(`autotune: '${name}' (in resetToZero or restoreValue) is not a tensor argument of kernel '${definition.name}'`, definition.signature().span);
      return v;
    };
    const launch = (config: Config): void => k(grid, ...positional, { ...named, ...config });
    const pool = new CompilePool();
    if (site) pool.warmUp([site.file], space.size);
    const target = launchTarget({
      identity,
      space,
      backend,
      launch,
      outputs: () => {
        if (options.check === 'none') return {};
        // The reference: the interpreter running the first config that runs there (the list's first, normally)
        // on copies of the tensors as they are before tuning.
        const names = Object.keys(meta).filter((n) => meta[n] instanceof Tensor);
        const originals = names.map((n) => meta[n] as Tensor);
        for (const t of (options.resetToZero ?? []).map(tensorArg)) t.fill(0);
        let expected: Map<string, ArrayLike<number>> | undefined;
        let refused: CompileError | undefined;
        for (const config of space.configs) {
          const { hostValues } = copiesOnHost(originals, true);
          const host = new Map(originals.map((t, i) => [t, hostValues[i] as Tensor]));
          const onHost = (v: unknown): unknown => (v instanceof Tensor ? host.get(v) : v);
          const hostNamed = Object.fromEntries(Object.entries(named).map(([n, v]) => [n, onHost(v)]));
          try {
            definition.launch(grid, [...positional.map(onHost), { ...hostNamed, ...config }]);
          } catch (e) {
            if (e instanceof CompileError) refused ??= e;
            if (e instanceof CompileError || e instanceof KernelRuntimeError) continue;
            throw e;
          }
          expected = new Map(names.map((n, i) => [n, host.get(originals[i]!)!.toArray() as ArrayLike<number>]));
          break;
        }
        if (!expected) {
          // No config runs on the interpreter (inline PTX, say): the candidates go unchecked, which is said.
          if (refused) console.warn(`kt: autotune of '${definition.name}': no config runs on the interpreter (${refused.message.split('\n')[0]}), so the candidates are not checked; pass check: 'none' to tune without checking`);
          return {};
        }
        return Object.fromEntries(names.map((n, i) => [n, { tensor: originals[i]!, expected: expected!.get(n)! }]));
      },
      tolerance: (d) => (options.tolerance ?? checkTolerance)(d as DTypeName),
      resetToZero: options.resetToZero?.map(tensorArg),
      restoreValue: options.restoreValue?.map(tensorArg),
      // The launch that follows tuning sees its tensors as the caller left them.
      preserve: Object.values(meta).filter((v): v is Tensor => v instanceof Tensor),
      pool,
    });
    let outcome: TuneOutcome;
    try {
      outcome = tune(target, { strategy: options.strategy, budget: options.budget });
    } finally {
      pool.close();
      target.finish();
    }
    if (!outcome.best) {
      throw new CompileError(`autotune: no config of kernel '${definition.name}' ran correctly for ${JSON.stringify(values)}\n${resultTable(outcome, {})}`, definition.signature().span, 'fix the kernel or the configs: each config is listed with the reason it was excluded');
    }
    const fresh = outcome.results.filter((r) => !r.cached).length;
    if (verbose && fresh) {
      console.error(`kt: tuned '${definition.name}' for ${JSON.stringify(values)} in ${outcome.timing.totalMs.toFixed(0)} ms (${fresh} configs measured): ${formatConfig(outcome.best.config)}`);
      console.error(resultTable(outcome, {}));
    }
    tuned.set(JSON.stringify(values), outcome);
    return outcome.best.config;
  };

  const configFor = (grid: Grid, args: readonly unknown[]): { config: Config; positional: unknown[]; named: Record<string, unknown> } => {
    const { positional, named, key, values } = keyOf(args);
    let config = chosen.get(key);
    if (!config) {
      config = tuneFor(grid, positional, named, values);
      chosen.set(key, config);
    }
    return { config, positional, named };
  };

  const call = (grid: Grid, ...args: unknown[]): void => {
    const { config, positional, named } = configFor(grid, args);
    k(grid, ...positional, { ...named, ...config });
  };
  return Object.assign(call, {
    definition,
    tuned,
    bestConfig: (grid: Grid, ...args: unknown[]) => configFor(grid, args).config,
  });
}
