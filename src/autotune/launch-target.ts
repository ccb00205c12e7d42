// A tuning target made of a launch: `launch(config)` runs the kernels with a config on fixed tensors (the same
// buffers for every candidate). Compiling captures the launches the config makes and hands them to the
// compile pool; checking restores the outputs, runs once and compares with the expected values; timing uses
// GPU events (with L2 flushes) on the GPU and wall-clock time on the interpreter.
import type { Config, Expected, Tolerance } from '../dsl/spec.ts';
import { captureLaunches } from '../dsl/kernel.ts';
import { compare, compareAt, isSampled, type SampledExpected } from '../runtime/compare.ts';
import { gpu, synchronize } from '../runtime/gpu.ts';
import type { Tensor } from '../runtime/tensor.ts';
import { compileJobFor } from './compile-job.ts';
import type { CompilePool } from './compile-pool.ts';
import { measure, measureGpu, type Measurement, type MeasureOptions } from './measure.ts';
import type { RecordIdentity } from './records.ts';
import type { ConfigSpace } from './space.ts';
import type { TuneTarget } from './tuner.ts';

export interface LaunchTargetOptions {
  readonly identity: RecordIdentity;
  readonly space: ConfigSpace;
  readonly backend: 'gpu' | 'interpreter';
  /** Launches the kernels with a config (asynchronously on the GPU). */
  readonly launch: (config: Config) => void;
  /**
   * Launches only captured for compiling (never run), on tensors of the same shapes and dtypes as `launch`'s,
   * such as placeholders made before the real inputs exist; `launch` by default.
   */
  readonly compileLaunch?: (config: Config) => void;
  /**
   * The tensors to check after a run, by name, with what they must hold then. Called once, before the first
   * check: a tuning run whose results all come from the cache never computes a reference.
   */
  readonly outputs: () => Readonly<Record<string, { readonly tensor: Tensor; readonly expected: Expected | SampledExpected }>>;
  readonly tolerance: (dtype: string) => Tolerance;
  /** Tensors set to zero before every run (accumulating kernels: Triton's reset_to_zero). */
  readonly resetToZero?: readonly Tensor[];
  /** Tensors put back to their contents before tuning after every run (in-place kernels: restore_value). */
  readonly restoreValue?: readonly Tensor[];
  /** Tensors put back to their contents before tuning once it ends, so that trial runs leave no trace. */
  readonly preserve?: readonly Tensor[];
  readonly pool: CompilePool;
}

/**
 * How long a candidate is timed: Triton's do_bench spends 25 ms warming up and 100 ms repeating (here: until the
 * median is known to 0.5%). The final round's sustained timing always repeats for the whole 100 ms: its
 * measurements follow each other with no pause, so the clocks settle where a long-running workload keeps them.
 */
const gpuTiming: MeasureOptions = { warmupMs: 25, minRuns: 5, budgetMs: 100, precision: 0.005, flushL2: true };
const sustainedGpuTiming: MeasureOptions = { warmupMs: 25, minRuns: 5, budgetMs: 100, flushL2: true };
const interpreterTiming: MeasureOptions = { warmup: 0, minRuns: 3, budgetMs: 1000, precision: 0.02 };

/** A target for the tuner; finish() puts the preserved tensors back and frees the snapshots it keeps. */
export function launchTarget(o: LaunchTargetOptions): TuneTarget & { finish(): void } {
  const onGpu = o.backend === 'gpu';
  const gpuTarget = onGpu ? gpu().info.target : undefined;
  // Every check starts from the outputs' contents before tuning, so a config that writes nothing cannot pass on
  // what the previous one left.
  let outputs: ReturnType<LaunchTargetOptions['outputs']> | undefined;
  const restored = new Map<Tensor, Tensor>();
  const prepareOutputs = (): NonNullable<typeof outputs> => {
    if (outputs) return outputs;
    for (const t of [...(o.restoreValue ?? []), ...(o.preserve ?? [])]) if (!restored.has(t)) restored.set(t, t.storageSnapshot());
    outputs = o.outputs();
    for (const { tensor } of Object.values(outputs)) if (!restored.has(tensor)) restored.set(tensor, tensor.storageSnapshot());
    return outputs;
  };
  const restoreBeforeRun = (restoreOutputs: boolean): void => {
    for (const [t, snapshot] of restored) if (restoreOutputs || o.restoreValue?.includes(t)) t.copyStorageFrom(snapshot);
    for (const t of o.resetToZero ?? []) t.fill(0);
  };
  return {
    identity: o.identity,
    space: o.space,
    finalRound: onGpu,
    compile(config) {
      const tickets = captureLaunches(() => (o.compileLaunch ?? o.launch)(config)).map((l) => o.pool.start(compileJobFor(l, gpuTarget)));
      return () => tickets.reduce((t, ticket) => t + o.pool.wait(ticket).ms, 0);
    },
    prepare() {
      prepareOutputs();
    },
    check(config) {
      const checked = prepareOutputs();
      restoreBeforeRun(true);
      o.launch(config);
      if (onGpu) synchronize();
      const problems: string[] = [];
      for (const [name, { tensor, expected }] of Object.entries(checked)) {
        const tol = o.tolerance(tensor.dtype.name);
        const c = isSampled(expected) ? compareAt(tensor, expected, tol, 1) : compare(tensor.cpu(), expected, tol, 1);
        if (!c.passed) {
          const m = c.first[0]!;
          problems.push(`${name}: ${c.mismatches} of ${c.total} ${isSampled(expected) ? 'sampled ' : ''}elements differ ([${m.index.join(', ')}]: got ${m.got}, expected ${m.want})`);
        }
      }
      return problems.length ? `wrong answer: ${problems.join('; ')}` : undefined;
    },
    measure(config, sustained): Measurement {
      const once = (): void => {
        restoreBeforeRun(false);
        o.launch(config);
      };
      return onGpu ? measureGpu(once, sustained ? sustainedGpuTiming : gpuTiming) : measure(once, interpreterTiming);
    },
    finish() {
      for (const t of o.preserve ?? []) {
        const snapshot = restored.get(t);
        if (snapshot) t.copyStorageFrom(snapshot);
      }
      for (const snapshot of restored.values()) snapshot.dispose();
      restored.clear();
    },
  };
}
