// The tuning loop, shared by `kt tune` (specs) and autotune() (kernels in user code): a strategy proposes
// configs; each new one is compiled (on the worker pool, while earlier ones are measured), run once and
// checked against the reference, then timed; every result, measured or excluded with its reason, goes into
// the tuning cache, and configs found there are not measured again.
import type { Config } from '../dsl/spec.ts';
import { CompileError } from '../compiler/diagnostics.ts';
import { PtxasError } from '../compiler/gpu/ptxas.ts';
import { KernelRuntimeError } from '../interp/memory.ts';
import { CudaError } from '../runtime/cuda.ts';
import { isKernelFault } from '../runtime/gpu.ts';
import { Random } from '../runtime/tensor.ts';
import { CompileJobError } from './compile-pool.ts';
import type { Measurement } from './measure.ts';
import { bestResult, implausibleResult, readRecord, storeResults, type ConfigResult, type ExclusionStage, type MeasuredResult, type RecordIdentity } from './records.ts';
import { configKey, type ConfigSpace } from './space.ts';
import { strategies, type Budget, type SearchContext } from './strategies.ts';

/** What the tuner needs of a kernel or spec being tuned: its space, and how to compile, check and time a config. */
export interface TuneTarget {
  readonly identity: RecordIdentity;
  readonly space: ConfigSpace;
  /**
   * Starts compiling what the config launches (on the worker pool); the function it returns waits for that and
   * returns the compile time in ms, or throws the compile error.
   */
  compile(config: Config): () => number;
  /**
   * Makes what checking needs (inputs, the reference), called once while the first compilations run; check()
   * makes it otherwise.
   */
  prepare?(): void;
  /** Runs the config once on the tuning inputs: undefined when its outputs match the reference, else what differs. */
  check(config: Config): string | undefined;
  /**
   * Times the config on the same inputs: briefly in the first pass, or (`sustained`, for the final round) long
   * enough that the clocks settle where a long-running workload keeps them.
   */
  measure(config: Config, sustained?: boolean): Measurement;
  /**
   * Whether the first pass's best and its rivals are timed again under sustained load (on a GPU, whose clocks
   * fall under long-running work; not on the interpreter, where it would only cost time).
   */
  readonly finalRound?: boolean;
}

export interface TuneProgress {
  /** Configs settled in this run (measured, excluded, or found in the cache). */
  readonly done: number;
  /** How many this run expects to settle (the budget's count, or the space). */
  readonly total: number;
  readonly best?: MeasuredResult;
  readonly elapsedMs: number;
  /** An estimate of the time left, when there is one. */
  readonly etaMs?: number;
}

export interface TuneOptions {
  /** A name from `strategies` (default: exhaustive for spaces up to 64 configs, guided beyond). */
  readonly strategy?: string;
  readonly budget?: Budget;
  /** Measure every config again, ignoring the cache. */
  readonly force?: boolean;
  /** Seed of randomised strategies. */
  readonly seed?: number;
  readonly onProgress?: (progress: TuneProgress) => void;
}

export interface TuneTiming {
  readonly totalMs: number;
  /** Compile time summed over the configs (on workers these overlap with each other and with measuring). */
  readonly compileMs: number;
  /** Time the tuner's thread waited for compilations to finish. */
  readonly compileWaitMs: number;
  /** Time spent making the inputs and the reference (while the first compilations ran). */
  readonly prepareMs: number;
  readonly checkMs: number;
  readonly measureMs: number;
}

export interface TuneOutcome {
  readonly identity: RecordIdentity;
  readonly strategy: string;
  readonly spaceSize: number;
  /** Every config this run settled, in the order it did, with where its result came from. */
  readonly results: readonly (ConfigResult & { readonly cached: boolean })[];
  readonly best?: MeasuredResult;
  readonly timing: TuneTiming;
  /** Why results of this run could not be stored in the tuning record, if they could not (kt run will not see them). */
  readonly recordError?: string;
}

/** The GPU context was lost to a faulting config: the results so far are stored; tuning must go on in a new process. */
export class TuneInterrupted extends Error {
  constructor(
    readonly config: Config,
    readonly fault: Error,
  ) {
    super(`config ${configKey(config)} faulted on the GPU (${fault.message.split('\n')[0]}); the GPU context is unusable, so tuning must continue in a new process (the results so far are cached)`);
    this.name = 'TuneInterrupted';
  }
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/** Why an error excludes a config, and at which stage. */
function exclusion(e: unknown, stage: 'compile' | 'run'): { stage: ExclusionStage; reason: string } {
  if (e instanceof CudaError && (e.errorName === 'KT_OUT_OF_SHARED_MEMORY' || e.errorName === 'KT_OUT_OF_REGISTERS' || e.errorName === 'CUDA_ERROR_OUT_OF_RESOURCES')) {
    return { stage: 'resources', reason: firstLine(e) };
  }
  if (e instanceof PtxasError || (e instanceof CompileJobError && e.name === 'PtxasError')) {
    const text = e.message;
    return { stage: /too much (shared|local) data|registers/i.test(text) ? 'resources' : 'compile', reason: firstLine(e) };
  }
  if (e instanceof CompileError || e instanceof CompileJobError) return { stage: 'compile', reason: firstLine(e) };
  if (e instanceof KernelRuntimeError) return { stage: 'run', reason: firstLine(e) };
  return { stage, reason: firstLine(e) };
}

function defaultStrategy(spaceSize: number): string {
  return spaceSize <= 64 ? 'exhaustive' : 'guided';
}

/** The default count budget of a guided search. */
const DEFAULT_GUIDED_BUDGET = 40;

/** The final round takes the best config and at most this many others within noise of it. */
const FINAL_ROUND_RIVALS = 2;
/** ... and times each this many times, in turns. */
const FINAL_ROUND_TURNS = 3;
/** Configs this much slower than the best (beyond their measured spreads) are not in the final round. */
const FINAL_ROUND_MARGIN = 0.03;

/** Tunes a target: settles configs as its strategy asks, stores every new result, and returns them all. */
export function tune(target: TuneTarget, options: TuneOptions = {}): TuneOutcome {
  const start = performance.now();
  const { space, identity } = target;
  const strategyName = options.strategy ?? defaultStrategy(space.size);
  const strategy = strategies[strategyName];
  if (!strategy) throw new RangeError(`unknown tuning strategy '${strategyName}'; the strategies are ${Object.keys(strategies).join(', ')}`);
  const budget: Budget = options.budget ?? (strategyName === 'exhaustive' ? {} : { configs: DEFAULT_GUIDED_BUDGET });
  const stored = options.force ? new Map<string, ConfigResult>() : readRecord(identity);
  const settled = new Map<string, ConfigResult & { cached: boolean }>();
  // Configs settled, cached or not: a count budget bounds both, so a repeated search retraces itself from the cache.
  let used = 0;
  const timing = { compileMs: 0, compileWaitMs: 0, prepareMs: 0, checkMs: 0, measureMs: 0 };
  let prepared = false;
  const total = Math.min(space.size, budget.configs ?? space.size);

  const exhausted = (): boolean => (budget.configs !== undefined && used >= budget.configs) || (budget.ms !== undefined && performance.now() - start >= budget.ms);
  const best = (): MeasuredResult | undefined => bestResult(settled.values());
  // The pace of measuring: configs settled since the first one was (which also pays for the inputs, the reference
  // and the first compile, so counting from the start would promise too long a wait at first).
  let firstSettledAt: number | undefined;
  const report = (): void => {
    if (!options.onProgress) return;
    const now = performance.now();
    const elapsedMs = now - start;
    const done = settled.size;
    firstSettledAt ??= done > 0 ? now : undefined;
    const pace = done >= 2 && firstSettledAt !== undefined ? (now - firstSettledAt) / (done - 1) : undefined;
    const byCount = pace !== undefined && total > done ? pace * (total - done) : undefined;
    const byTime = budget.ms !== undefined ? Math.max(0, budget.ms - elapsedMs) : undefined;
    const etaMs = byCount !== undefined && byTime !== undefined ? Math.min(byCount, byTime) : (byCount ?? byTime);
    options.onProgress({ done, total: Math.max(total, done), best: best(), elapsedMs, etaMs });
  };

  let recordError: string | undefined;
  const settle = (r: ConfigResult, cached: boolean): void => {
    settled.set(configKey(r.config), { ...r, cached });
    if (!cached) recordError ??= storeResults(identity, [r]);
    report();
  };

  const runOne = (config: Config, compiled: () => number): ConfigResult => {
    const measuredAt = new Date().toISOString();
    if (!prepared) {
      prepared = true;
      const start = performance.now();
      target.prepare?.();
      timing.prepareMs += performance.now() - start;
    }
    const waitStart = performance.now();
    try {
      timing.compileMs += compiled();
    } catch (e) {
      return { status: 'excluded', config, ...exclusion(e, 'compile'), measuredAt };
    } finally {
      timing.compileWaitMs += performance.now() - waitStart;
    }
    let phase = performance.now();
    try {
      const wrong = target.check(config);
      timing.checkMs += performance.now() - phase;
      if (wrong !== undefined) return { status: 'excluded', config, stage: 'check', reason: wrong, measuredAt };
      phase = performance.now();
      const m = target.measure(config);
      timing.measureMs += performance.now() - phase;
      const measured: MeasuredResult = { status: 'ok', config, medianMs: m.medianMs, minMs: m.minMs, maxMs: m.maxMs, spread: m.spread, runs: m.samples.length, measuredAt };
      // A time that cannot be true (a clock that went back, a timer that did not run) is not a result.
      const implausible = implausibleResult(measured);
      if (implausible) return { status: 'excluded', config, stage: 'run', reason: `its measurement cannot be right: ${implausible.replace(/^its /, '')}`, measuredAt };
      return measured;
    } catch (e) {
      if (isKernelFault(e)) {
        settle({ status: 'excluded', config, stage: 'run', reason: firstLine(e), measuredAt }, false);
        throw new TuneInterrupted(config, e as Error);
      }
      return { status: 'excluded', config, ...exclusion(e, 'run'), measuredAt };
    }
  };

  /** Starts a compilation; a config whose launch cannot even be captured fails when it is waited for. */
  const startCompile = (config: Config): (() => number) => {
    try {
      return target.compile(config);
    } catch (e) {
      return () => {
        throw e;
      };
    }
  };

  const evaluate: SearchContext['evaluate'] = (configs) => {
    // Start compiling every new config of the batch (the pool runs them in parallel), then settle in order.
    // Only as many as the count budget can still settle.
    let room = budget.configs === undefined ? Infinity : budget.configs - used;
    const pending = configs.map((c) => {
      const key = configKey(c);
      if (settled.has(key) || room-- <= 0 || stored.has(key)) return undefined;
      return startCompile(c);
    });
    const costs: (number | undefined)[] = [];
    for (let i = 0; i < configs.length; i++) {
      const config = configs[i]!;
      const key = configKey(config);
      let r: ConfigResult | undefined = settled.get(key);
      if (!r && !exhausted()) {
        used++;
        const known = stored.get(key);
        if (known) settle((r = known), true);
        else settle((r = runOne(config, pending[i] ?? startCompile(config))), false);
      }
      costs.push(r?.status === 'ok' ? r.medianMs : undefined);
    }
    return costs;
  };

  report();
  const rng = new Random(options.seed ?? 0);
  strategy.search({ space, evaluate, exhausted, budget, random: () => rng.next() });
  const final = target.finalRound ? finalRound(target, [...settled.values()], timing) : [];
  if (final.length) {
    for (const r of final) settled.set(configKey(r.config), { ...r, cached: false });
    recordError ??= storeResults(identity, final);
  }
  return {
    identity,
    strategy: strategyName,
    spaceSize: space.size,
    results: [...settled.values()],
    best: best(),
    timing: { totalMs: performance.now() - start, ...timing },
    recordError,
  };
}

/**
 * The final round. A first pass times each config briefly, and near the top its ranking is noise: configs within
 * a few percent of each other, timed for a few milliseconds each, at clocks that a long-running workload does not
 * keep (on an H200 at 8192^3 the first pass's best was 9% slower than its runner-up under the benchmark's load).
 * So the best config and its closest rivals are timed again, in turns (each turn measures every one of them once,
 * so that drifting clocks treat them alike), back to back so that the GPU stays under load from the first
 * measurement (thrown away) to the last, and each keeps the median of its turns as its sustained time, beside
 * its first-pass time. The sustained times decide among the contenders only: every config is slower under
 * sustained load (10-12% at 8192^3), so they do not compare with the first-pass times of the others.
 *
 * Returns the results it changed: the contenders with their sustained times, and the configs that had one from
 * an earlier round (a run over another space), which lose it, so that one round decides. None when there is
 * nothing to decide, or the contenders are those an earlier round decided.
 */
function finalRound(target: TuneTarget, results: readonly ConfigResult[], timing: { measureMs: number }): MeasuredResult[] {
  const ok = results.filter((r): r is MeasuredResult => r.status === 'ok').sort((a, b) => a.medianMs - b.medianMs);
  const best = ok[0];
  if (!best) return [];
  const close = (r: MeasuredResult): boolean => r.medianMs * (1 - r.spread) <= best.medianMs * (1 + best.spread + FINAL_ROUND_MARGIN);
  const contenders = [best, ...ok.slice(1).filter(close).slice(0, FINAL_ROUND_RIVALS)];
  const earlier = ok.filter((r) => r.sustained);
  if (contenders.length < 2 || (contenders.every((r) => r.sustained) && earlier.length === contenders.length)) return [];
  const turns = contenders.map(() => [] as Measurement[]);
  const start = performance.now();
  try {
    // One measurement thrown away first: from here on the GPU runs without a pause until the round ends.
    target.measure(best.config, true);
    for (let turn = 0; turn < FINAL_ROUND_TURNS; turn++) {
      // Each turn starts with a different config, so that none is always the first after a pause.
      for (let k = 0; k < contenders.length; k++) {
        const i = (k + turn) % contenders.length;
        turns[i]!.push(target.measure(contenders[i]!.config, true));
      }
    }
  } catch {
    // A config that ran correctly in the first pass and fails now (the GPU is in trouble): keep the first pass.
    return [];
  } finally {
    timing.measureMs += performance.now() - start;
  }
  // The results as stored: without the tuner's bookkeeping (whether the first pass came from the cache).
  const plain = ({ cached: _, ...r }: MeasuredResult & { cached?: boolean }): MeasuredResult => r;
  const decided = contenders.map((r, i): MeasuredResult => {
    const medians = turns[i]!.map((m) => m.medianMs).sort((a, b) => a - b);
    const medianMs = medians[Math.floor(medians.length / 2)]!;
    // How far the turns' medians lie apart, as a spread around the median.
    const spread = (medians[medians.length - 1]! - medians[0]!) / 2 / medianMs;
    return { ...plain(r), sustained: { medianMs, spread, runs: turns[i]!.reduce((n, m) => n + m.samples.length, 0) } };
  });
  const stale = earlier.filter((r) => !contenders.includes(r)).map((r): MeasuredResult => {
    const { sustained: _, ...first } = plain(r);
    return first;
  });
  return [...decided, ...stale];
}
