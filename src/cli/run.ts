// `kt run`: runs a spec (makes inputs, launches, compares with the reference) and reports errors and time.
import chalk from 'chalk';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import { defaultTolerance, expectedOutputs, type KernelSpec, type Sizes } from '../dsl/spec.ts';
import { measure, measureGpu, type Measurement } from '../autotune/measure.ts';
import { compare, compareAt, isSampled, type Comparison } from '../runtime/compare.ts';
import { gpu, gpuUnavailableReason, synchronize } from '../runtime/gpu.ts';
import { parseDuration, setSanitizeAll } from '../interp/sanitize-settings.ts';
import { runInterruptible } from '../interp/sanitizer.ts';
import { Random, Tensor } from '../runtime/tensor.ts';
import { formatConfig, siPrefix } from '../autotune/report.ts';
import { tunedSpecConfig } from '../autotune/spec-tuning.ts';
import { UsageError, parseConfig } from './args.ts';
import { checkMemory } from './memory.ts';
import { loadTarget, pickSpec, specProblemArgs } from './target.ts';
import { checkConfig, knownConfig } from './validate.ts';

export type Backend = 'gpu' | 'interpreter';

export interface RunArgs {
  target: string;
  kernel?: string;
  interpret: boolean;
  check: boolean;
  size: string[];
  dtype?: string;
  config: string[];
  seed: number;
  repeat: number;
  /** Run on the interpreter under the sanitizer, stopping a launch after `timeout` (a duration, e.g. 30s). */
  sanitize?: boolean;
  timeout?: string;
}

export interface RunResult {
  readonly spec: KernelSpec;
  readonly backend: Backend;
  readonly sizes: Sizes;
  readonly dtype: DTypeName;
  readonly config: Record<string, unknown>;
  readonly compileMs: number;
  /** The first launch, without compilation (on the GPU: including the module load and a synchronisation). */
  readonly runMs: number;
  /** Further launches, when asked for (`--repeat`); timed with GPU events on the GPU. */
  readonly repeated?: Measurement;
  /** Each output's comparison with the reference (on a sample of its elements, for large problems). */
  readonly outputs: readonly { name: string; comparison: Comparison; sampled: boolean }[];
  /** The outputs, as computed first (on the host). */
  readonly results: Readonly<Record<string, Tensor>>;
  readonly passed: boolean;
}

const mapTensors = <I extends Record<string, Tensor>>(inputs: I, f: (t: Tensor) => Tensor): I =>
  Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, f(t)])) as I;

/** Runs a spec once at the given sizes, dtype and config on a backend, and compares every output with the reference. */
export function runSpec(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, config: Record<string, number | boolean | string>, options: { backend: Backend; seed?: number; repeat?: number }): RunResult {
  const { backend, seed = 0, repeat = 0 } = options;
  const hostInputs = spec.inputs(sizes, dtype, new Random(seed));
  // The reference reads pristine host inputs; the kernel works on copies (on the GPU, or cloned on the host).
  const inputs = mapTensors(hostInputs, (t) => (backend === 'gpu' ? t.cuda() : t.clone()));
  try {
    const compiledBefore = spec.kernels.reduce((t, k) => t + k.definition.compileMs, 0);
    const start = performance.now();
    spec.launch(inputs, sizes, config);
    if (backend === 'gpu') synchronize();
    const total = performance.now() - start;
    const compileMs = spec.kernels.reduce((t, k) => t + k.definition.compileMs, 0) - compiledBefore;
    // Large problems are checked on a sample of elements, where the spec can compute single ones.
    const expected = expectedOutputs(spec, hostInputs, sizes, seed);
    const results: Record<string, Tensor> = {};
    const outputs = Object.entries(expected).map(([name, want]) => {
      const got = inputs[name];
      if (!(got instanceof Tensor)) throw new Error(`spec ${spec.name}: reference names output '${name}', which is not one of its input tensors`);
      // Copy the output as first computed: later launches (--repeat) may overwrite it in place.
      results[name] = got.cpu().clone();
      const tol = spec.tolerance?.(got.dtype.name) ?? defaultTolerance(got.dtype.name);
      return { name, comparison: isSampled(want) ? compareAt(results[name], want, tol) : compare(results[name], want, tol), sampled: isSampled(want) };
    });
    const again = (): void => spec.launch(inputs, sizes, config);
    // On the GPU, as Triton's do_bench: 25 ms of warm-up first (clocks up from idle) and the L2 flushed before each run.
    const repeated = repeat > 0 ? (backend === 'gpu' ? measureGpu(again, { warmupMs: 25, minRuns: repeat, flushL2: true }) : measure(again, { warmup: 0, minRuns: repeat })) : undefined;
    return { spec, backend, sizes, dtype, config, compileMs, runMs: total - compileMs, repeated, outputs, results, passed: outputs.every((o) => o.comparison.passed) };
  } finally {
    for (const t of Object.values(inputs)) t.dispose();
  }
}

const fmtSizes = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

const exp = (x: number): string => x.toExponential(2);

/** A rate with an SI prefix: 1.7e6 FLOP/s -> "1.70 MFLOP/s". */
function rate(perSecond: number, unit: string): string {
  const { prefix, scale } = siPrefix(perSecond);
  return `${(perSecond / scale).toFixed(2)} ${prefix}${unit}/s`;
}

function throughput(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, ms: number): string {
  const parts: string[] = [];
  const flops = spec.flops?.(sizes);
  const bytes = spec.bytes?.(sizes, dtype);
  if (flops && ms > 0) parts.push(rate((flops / ms) * 1000, 'FLOP'));
  if (bytes && ms > 0) parts.push(rate((bytes / ms) * 1000, 'B'));
  return parts.join(', ');
}

export function report(r: RunResult): string {
  const lines: string[] = [];
  lines.push(`${chalk.bold(r.spec.name)}  ${fmtSizes(r.sizes)}  ${r.dtype}${Object.keys(r.config).length ? `  ${fmtSizes(r.config)}` : ''}`);
  const rep = r.repeated;
  const tp = throughput(r.spec, r.sizes, r.dtype, rep ? rep.medianMs : r.runMs);
  // On the GPU the first launch also loads the kernel and starts the GPU's work queue: --repeat times the rest.
  const first = r.backend === 'gpu' ? `first launch ${r.runMs.toFixed(1)} ms (with loading; --repeat N times further launches)` : `run ${r.runMs.toFixed(1)} ms`;
  const timing = rep ? `first run ${r.runMs.toFixed(1)} ms, then median ${rep.medianMs.toFixed(3)} ms ±${(rep.spread * 100).toFixed(0)}% over ${rep.samples.length} runs` : first;
  const backend = r.backend === 'gpu' ? `GPU (${gpu().info.name})` : 'interpreter';
  lines.push(`${backend}  compile ${r.compileMs.toFixed(1)} ms  ${timing}${tp ? `  (${tp})` : ''}`);
  for (const { name, comparison: c, sampled } of r.outputs) {
    const verdict = c.passed ? chalk.green('PASS') : chalk.red(`FAIL: ${c.mismatches} of ${c.total} ${sampled ? 'sampled ' : ''}elements differ`);
    lines.push(`  ${name}  max abs err ${exp(c.maxAbsError)}  max rel err ${exp(c.maxRelError)}${sampled ? `  (${c.total} sampled elements)` : ''}  ${verdict}`);
    for (const m of c.first) lines.push(`      [${m.index.join(', ')}]  got ${m.got}  expected ${m.want}`);
  }
  lines.push(r.passed ? chalk.green.bold('PASS') : chalk.red.bold('FAIL'));
  return lines.join('\n');
}

export async function runCommand(args: RunArgs): Promise<number> {
  const target = await loadTarget(args.target);
  const spec = pickSpec(target, args.kernel);
  const { sizes, dtype } = await specProblemArgs(spec, args.size, args.dtype);
  const overrides = await parseConfig(args.config);
  checkConfig(overrides, knownConfig(spec, spec.kernels.map((k) => k.definition)), spec.name);
  if (!Number.isInteger(args.repeat) || args.repeat < 0) throw new UsageError(`--repeat must be a non-negative integer, got ${args.repeat}`);
  if (!Number.isInteger(args.seed) || args.seed < 0 || args.seed >= 2 ** 32) throw new UsageError(`--seed must be an integer from 0 to ${2 ** 32 - 1}, got ${args.seed}`);
  if (args.check && args.interpret) throw new UsageError('--check compares the GPU with the interpreter; it cannot be combined with --interpret');
  if (args.sanitize && args.check) throw new UsageError('--sanitize runs on the interpreter; it cannot be combined with --check', 'run kt run --check and kt run --sanitize one after the other');
  if (args.timeout !== undefined && !args.sanitize) throw new UsageError('--timeout limits sanitized launches; give --sanitize with it');
  const timeoutMs = args.timeout === undefined ? undefined : parseDuration(args.timeout);
  if (args.timeout !== undefined && timeoutMs === undefined) throw new UsageError(`--timeout must be a duration such as 30s, 2m or 500ms (0: no limit), got '${args.timeout}'`);
  const noGpu = args.interpret || args.sanitize ? undefined : gpuUnavailableReason();
  if (args.check && noGpu) throw new UsageError(`--check needs a GPU: ${noGpu}`);
  const backend: Backend = args.interpret || args.sanitize || noGpu ? 'interpreter' : 'gpu';
  // Before anything is made: a problem too large for this machine is refused here, not found by the allocator.
  checkMemory(spec, sizes, dtype, { command: 'kt run', backend });
  if (noGpu) console.log(chalk.yellow(`kt: ${noGpu}; running on the CPU interpreter`));
  // A config tuned for this problem (kt tune) is used unless the command line sets the config.
  const tuned = Object.keys(overrides).length ? undefined : tunedSpecConfig(spec, sizes, dtype, backend);
  if (tuned) console.log(chalk.dim(`using the config tuned by kt tune: ${formatConfig(tuned)}`));
  const config = { ...spec.config, ...(tuned ?? overrides) };
  // Every launch of the spec is sanitized; a hazard stops it with an error (exit code 2).
  if (args.sanitize) setSanitizeAll({ timeout: timeoutMs });
  // On the interpreter Ctrl-C stops the run with where it was (the kernel, the program, under the sanitizer the
  // loop) and exit code 130, rather than killing the process without a word (sanitizer.ts, runInterruptible).
  const onInterpreter = backend === 'interpreter' || process.env['KT_INTERPRET'] === '1';
  const interruptible = <T>(f: () => T): T => (onInterpreter ? runInterruptible(f) : f());
  const result = interruptible(() => runSpec(spec, sizes, dtype, config, { backend, seed: args.seed, repeat: args.repeat }));
  console.log(report(result));
  if (args.sanitize) console.log(chalk.green('sanitizer: no races, uninitialised reads, integer divisions by zero, index overflows or hangs'));
  if (!args.check) return result.passed ? 0 : 1;
  const interp = runInterruptible(() => runSpec(spec, sizes, dtype, config, { backend: 'interpreter', seed: args.seed }));
  console.log(report(interp));
  const agree = crossCheck(result, interp);
  return result.passed && interp.passed && agree ? 0 : 1;
}

/** Compares the GPU's outputs with the interpreter's, element by element, and prints the first differences. */
function crossCheck(gpuRun: RunResult, interp: RunResult): boolean {
  let agree = true;
  console.log(chalk.bold('GPU against interpreter'));
  for (const [name, got] of Object.entries(gpuRun.results)) {
    const want = interp.results[name]!.toArray() as ArrayLike<number> | ArrayLike<bigint>;
    const tol = gpuRun.spec.tolerance?.(got.dtype.name) ?? defaultTolerance(got.dtype.name);
    const c = compare(got, want, tol);
    agree &&= c.passed;
    const verdict = c.passed ? chalk.green('agree') : chalk.red(`${c.mismatches} of ${c.total} elements differ`);
    console.log(`  ${name}  max abs diff ${exp(c.maxAbsError)}  ${verdict}`);
    for (const m of c.first) console.log(`      [${m.index.join(', ')}]  GPU ${m.got}  interpreter ${m.want}`);
  }
  console.log(agree ? chalk.green.bold('AGREE') : chalk.red.bold('DIFFER'));
  return agree;
}
