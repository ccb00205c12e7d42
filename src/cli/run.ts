// `kt run`: runs a spec (makes inputs, launches, compares with the reference) and reports errors and time.
import chalk from 'chalk';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import { defaultTolerance, type KernelSpec, type Sizes } from '../dsl/spec.ts';
import { measure, type Measurement } from '../autotune/measure.ts';
import { compare, type Comparison } from '../runtime/compare.ts';
import { interpreterFallbackReason } from '../runtime/device.ts';
import { Random, Tensor } from '../runtime/tensor.ts';
import { UsageError, parseConfig, parseSizes } from './args.ts';
import { loadTarget, pickSpec } from './target.ts';

export interface RunArgs {
  target: string;
  kernel?: string;
  interpret: boolean;
  size: string[];
  dtype?: string;
  config: string[];
  seed: number;
  repeat: number;
}

export interface RunResult {
  readonly spec: KernelSpec;
  readonly sizes: Sizes;
  readonly dtype: DTypeName;
  readonly config: Record<string, unknown>;
  readonly compileMs: number;
  /** The first launch, without compilation. */
  readonly runMs: number;
  /** Further launches, when asked for (`--repeat`). */
  readonly repeated?: Measurement;
  readonly outputs: readonly { name: string; comparison: Comparison }[];
  readonly passed: boolean;
}

/** Runs a spec once at the given sizes, dtype and config, and compares every output with the reference. */
export function runSpec(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, config: Record<string, number | boolean | string>, seed = 0, repeat = 0): RunResult {
  const inputs = spec.inputs(sizes, dtype, new Random(seed));
  const compiledBefore = spec.kernels.reduce((t, k) => t + k.definition.compileMs, 0);
  const start = performance.now();
  spec.launch(inputs, sizes, config);
  const total = performance.now() - start;
  const compileMs = spec.kernels.reduce((t, k) => t + k.definition.compileMs, 0) - compiledBefore;
  const expected = spec.reference(inputs, sizes);
  // Compare first: later launches may overwrite inputs in place (the outputs are checked as first computed).
  const repeatedRuns = repeat > 0 ? () => measure(() => spec.launch(inputs, sizes, config), { warmup: 0, minRuns: repeat }) : undefined;
  const outputs = Object.entries(expected).map(([name, want]) => {
    const got = inputs[name];
    if (!(got instanceof Tensor)) throw new Error(`spec ${spec.name}: reference names output '${name}', which is not one of its input tensors`);
    const tol = spec.tolerance?.(got.dtype.name) ?? defaultTolerance(got.dtype.name);
    return { name, comparison: compare(got, want, tol) };
  });
  const repeated = repeatedRuns?.();
  return { spec, sizes, dtype, config, compileMs, runMs: total - compileMs, repeated, outputs, passed: outputs.every((o) => o.comparison.passed) };
}

const fmtSizes = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

const exp = (x: number): string => x.toExponential(2);

/** A rate with an SI prefix: 1.7e6 FLOP/s -> "1.70 MFLOP/s". */
function rate(perSecond: number, unit: string): string {
  const prefixes = ['', 'K', 'M', 'G', 'T', 'P'];
  let v = perSecond;
  let i = 0;
  while (v >= 1000 && i < prefixes.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(2)} ${prefixes[i]}${unit}/s`;
}

function throughput(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, ms: number): string {
  const parts: string[] = [];
  const flops = spec.flops?.(sizes);
  const bytes = spec.bytes?.(sizes, dtype);
  if (flops && ms > 0) parts.push(rate((flops / ms) * 1000, 'FLOP'));
  if (bytes && ms > 0) parts.push(rate((bytes / ms) * 1000, 'B'));
  return parts.join(', ');
}

export function report(r: RunResult, backend: string): string {
  const lines: string[] = [];
  lines.push(`${chalk.bold(r.spec.name)}  ${fmtSizes(r.sizes)}  ${r.dtype}${Object.keys(r.config).length ? `  ${fmtSizes(r.config)}` : ''}`);
  const rep = r.repeated;
  const tp = throughput(r.spec, r.sizes, r.dtype, rep ? rep.medianMs : r.runMs);
  const timing = rep
    ? `first run ${r.runMs.toFixed(1)} ms, then median ${rep.medianMs.toFixed(2)} ms ±${(rep.spread * 100).toFixed(0)}% over ${rep.samples.length} runs`
    : `run ${r.runMs.toFixed(1)} ms`;
  lines.push(`${backend}  compile ${r.compileMs.toFixed(1)} ms  ${timing}${tp ? `  (${tp})` : ''}`);
  for (const { name, comparison: c } of r.outputs) {
    const verdict = c.passed ? chalk.green('PASS') : chalk.red(`FAIL: ${c.mismatches} of ${c.total} elements differ`);
    lines.push(`  ${name}  max abs err ${exp(c.maxAbsError)}  max rel err ${exp(c.maxRelError)}  ${verdict}`);
    for (const m of c.first) lines.push(`      [${m.index.join(', ')}]  got ${m.got}  expected ${m.want}`);
  }
  lines.push(r.passed ? chalk.green.bold('PASS') : chalk.red.bold('FAIL'));
  return lines.join('\n');
}

export async function runCommand(args: RunArgs): Promise<number> {
  const target = await loadTarget(args.target);
  const spec = pickSpec(target, args.kernel);
  const given = await parseSizes(args.size);
  for (const k of Object.keys(given)) {
    if (!(k in spec.sizes)) throw new UsageError(`${spec.name} has no size '${k}'`, `its sizes are ${Object.keys(spec.sizes).join(', ')}`);
  }
  const dtype = (args.dtype ?? spec.dtypes[0]) as DTypeName;
  if (!spec.dtypes.includes(dtype)) throw new UsageError(`${spec.name} does not support dtype '${args.dtype}'`, `it supports ${spec.dtypes.join(', ')}`);
  const config = { ...spec.config, ...(await parseConfig(args.config)) };
  if (!args.interpret) console.log(chalk.yellow(`kt: ${interpreterFallbackReason()}; running on the CPU interpreter`));
  if (!Number.isInteger(args.repeat) || args.repeat < 0) throw new UsageError(`--repeat must be a non-negative integer, got ${args.repeat}`);
  const result = runSpec(spec, { ...spec.sizes, ...given }, dtype, config, args.seed, args.repeat);
  console.log(report(result, 'interpreter'));
  return result.passed ? 0 : 1;
}
