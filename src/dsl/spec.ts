// A kernel spec: everything needed to run a kernel without writing a driver: how to make inputs for given
// sizes and dtype, how to launch, a plain TypeScript reference, tolerances, and the work done (FLOPs, bytes).
// The CLI (`kt run`), the tests, the benchmarks and the tuner all read specs.
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import type { SampledExpected } from '../runtime/compare.ts';
import { Random, type Tensor } from '../runtime/tensor.ts';
import type { KernelDefinition } from './kernel.ts';
import type { PruneHook, SpaceDefinition } from '../autotune/space.ts';

export type Sizes = Record<string, number>;
export type Config = Record<string, number | boolean | string>;

/** Expected values: numbers (compared with tolerances) or exact integers. */
export type Expected = ArrayLike<number> | ArrayLike<bigint>;

export interface Tolerance {
  /** Absolute tolerance. */
  atol: number;
  /** Relative tolerance: |out - ref| <= atol + rtol * |ref| passes. */
  rtol: number;
}

export interface KernelSpec<I extends Record<string, Tensor> = Record<string, Tensor>> {
  /** The name `kt run <name>` finds it by. */
  readonly name: string;
  readonly description: string;
  /** The kernels this spec launches (for `kt list` and `kt compile`). */
  readonly kernels: readonly { readonly definition: KernelDefinition }[];
  /** Default sizes, e.g. { M: 512, N: 512, K: 512 }. */
  readonly sizes: Sizes;
  /** Further sizes the test suite checks, chosen to be awkward (not multiples of the blocks). */
  readonly testSizes?: readonly Sizes[];
  /** Supported dtypes; the first is the default. */
  readonly dtypes: readonly DTypeName[];
  /** Default compile-time configuration (block sizes and such), overridable with `kt run -c NAME=value`. */
  readonly config: Config;
  /**
   * Makes the inputs (and output buffers) for sizes and dtype, from `rng`. Their shapes and dtypes must not
   * depend on the random draws: the tuner compiles on placeholders made with a generator that draws only 0.
   */
  inputs(sizes: Sizes, dtype: DTypeName, rng: Random): I;
  /** Launches the kernel(s) on the inputs. */
  launch(inputs: I, sizes: Sizes, config: Config): void;
  /** The expected contents of each output tensor, computed in plain TypeScript. */
  reference(inputs: I, sizes: Sizes): Record<string, Expected>;
  /**
   * Expected values of single output elements (by flat index), for sizes where the whole reference takes too
   * long: the tuner checks each candidate on a sample of elements with it. One function per output.
   */
  referenceAt?(inputs: I, sizes: Sizes): Record<string, (flatIndex: number) => number>;
  /** Tuning spaces by name (`kt tune --space NAME`); `default` is the one used unless another is named. */
  readonly tuning?: TuningSpaces;
  /** Tolerance for outputs of `dtype` (the default depends on the dtype's precision). */
  tolerance?(dtype: DTypeName): Tolerance;
  /** Floating-point operations for these sizes (for throughput reports). */
  flops?(sizes: Sizes): number;
  /** Bytes read and written for these sizes and dtype. */
  bytes?(sizes: Sizes, dtype: DTypeName): number;
}

export interface TuningSpaces {
  readonly spaces: Readonly<Record<string, SpaceDefinition>> & { readonly default: SpaceDefinition };
  /** Drops configs before any is compiled. */
  readonly prune?: PruneHook;
}

/** Declares a spec with its input type checked. */
export function defineSpec<I extends Record<string, Tensor>>(spec: KernelSpec<I>): KernelSpec<I> {
  return spec;
}

/** Tolerances by output dtype: loose enough for reordered f32 sums, tight enough to catch wrong results. */
export function defaultTolerance(dtype: DTypeName): Tolerance {
  switch (dtype) {
    case 'f16':
      return { atol: 1e-2, rtol: 1e-2 };
    case 'bf16':
      return { atol: 5e-2, rtol: 5e-2 };
    case 'f32':
      return { atol: 1e-5, rtol: 1e-4 };
    case 'f64':
      return { atol: 1e-12, rtol: 1e-10 };
    default:
      return { atol: 0, rtol: 0 };
  }
}

/** Above this much work a sample of output elements is checked (when the spec can compute single ones). */
const FULL_REFERENCE_FLOPS = 1e9;
const SAMPLES_PER_OUTPUT = 2048;

/**
 * Flat indices of a sample of an output's elements: all of them when few, else every combination of some
 * random rows and columns (of its last two dimensions), so that a reference computed element by element
 * (a row of A times a column of B) reuses its rows and columns.
 */
function sampleIndices(shape: readonly number[], rng: Random): number[] {
  const numel = shape.reduce((a, b) => a * b, 1);
  if (numel <= SAMPLES_PER_OUTPUT) return Array.from({ length: numel }, (_, i) => i);
  const pick = (count: number, of: number): number[] => Array.from({ length: count }, () => Math.floor(rng.next() * of));
  const cols = shape.length >= 2 ? shape[shape.length - 1]! : 1;
  const rows = numel / cols;
  const side = Math.ceil(Math.sqrt(SAMPLES_PER_OUTPUT));
  if (cols < side || rows < side) return pick(SAMPLES_PER_OUTPUT, numel);
  const [r, c] = [pick(side, rows), pick(side, cols)];
  return r.flatMap((i) => c.map((j) => i * cols + j));
}

/**
 * What each output must hold: the whole reference, or for large problems a sample from referenceAt (`kt run` and
 * the tuner check with it).
 */
export function expectedOutputs(spec: KernelSpec, inputs: Record<string, Tensor>, sizes: Sizes, seed: number): Record<string, Expected | SampledExpected> {
  const work = spec.flops?.(sizes) ?? 0;
  if (!spec.referenceAt || work <= FULL_REFERENCE_FLOPS) return spec.reference(inputs, sizes);
  const at = spec.referenceAt(inputs, sizes);
  const rng = new Random(seed + 1);
  const result: Record<string, SampledExpected> = {};
  for (const [name, element] of Object.entries(at)) {
    const indices = sampleIndices(inputs[name]?.shape ?? [], rng);
    result[name] = { indices, values: indices.map(element) };
  }
  return result;
}
