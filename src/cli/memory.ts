// Memory a problem needs, estimated before anything is made. kt run, kt tune and kt compile make a spec's
// inputs and outputs (and kt run and kt tune its reference) at once, so a size one power of two too large
// (`--size N=2**31`) would otherwise grow the process past the machine's memory before anything is said, or end
// in V8's fatal "heap out of memory" crash, which no handler can catch. The estimate refuses such problems with
// one line saying how much they would need and what to do.
import os from 'node:os';
import v8 from 'node:v8';
import type { DTypeName } from '../compiler/semantic/dtype.ts';
import type { KernelSpec, Sizes } from '../dsl/spec.ts';
import { gpu } from '../runtime/gpu.ts';
import { Random, Tensor } from '../runtime/tensor.ts';
import { UsageError, formatBytes, parseBytes } from './args.ts';

/** The tensors a spec's `inputs` makes for one problem (its inputs and output buffers). */
export interface Footprint {
  readonly bytes: number;
  readonly elements: number;
  /** Elements of the largest tensor. */
  readonly largest: number;
}

interface Made {
  readonly elements: number;
  readonly bytes: number;
}

function madeBy(spec: KernelSpec, sizes: Sizes, dtype: DTypeName): Map<string, Made> {
  const made = new Map<string, Made>();
  for (const [name, t] of Object.entries(spec.inputs(sizes, dtype, new Random(0)))) {
    if (t instanceof Tensor) made.set(name, { elements: t.numel, bytes: t.numel * t.dtype.bytes });
  }
  return made;
}

/**
 * Estimates the spec's tensors at `sizes` without making them: `inputs` runs at the spec's default sizes and
 * again with each size that differs doubled, and each tensor's element count is extrapolated as a product of
 * powers of the sizes (M*K for a matrix, N for a vector: the exponents come out of the doubling). Undefined when
 * no size exceeds its default (the spec's author chose defaults that fit) or when `inputs` fails on a probe.
 */
export function estimateFootprint(spec: KernelSpec, sizes: Sizes, dtype: DTypeName): Footprint | undefined {
  const base = spec.sizes;
  const changed = Object.keys(sizes).filter((k) => base[k] !== undefined && sizes[k] !== base[k]);
  if (!changed.some((k) => sizes[k]! > base[k]!)) return undefined;
  let atBase: Map<string, Made>;
  const exponents = new Map<string, Map<string, number>>();
  try {
    atBase = madeBy(spec, base, dtype);
    for (const k of changed) {
      const doubled = madeBy(spec, { ...base, [k]: base[k]! * 2 }, dtype);
      exponents.set(k, new Map([...atBase].map(([name, m]) => [name, m.elements > 0 ? Math.log2((doubled.get(name)?.elements ?? m.elements) / m.elements) : 0])));
    }
  } catch {
    return undefined;
  }
  let bytes = 0;
  let elements = 0;
  let largest = 0;
  for (const [name, m] of atBase) {
    let scale = 1;
    for (const k of changed) scale *= (sizes[k]! / base[k]!) ** exponents.get(k)!.get(name)!;
    const n = Math.round(m.elements * scale);
    elements += n;
    bytes += Math.round(m.bytes * scale);
    largest = Math.max(largest, n);
  }
  return { bytes, elements, largest };
}

/** Whether kt checks the outputs on a sample of elements (as expectedOutputs in src/dsl/spec.ts decides). */
function referenceIsSampled(spec: KernelSpec, sizes: Sizes): boolean {
  return spec.referenceAt !== undefined && (spec.flops?.(sizes) ?? 0) > 1e9;
}

/**
 * Bytes of JavaScript heap per element of a problem's tensors while a whole reference is computed: references
 * read their inputs as number arrays (`toNumbers()`, 8 bytes an element) and return number arrays, and the
 * comparison keeps both. Measured: kt run add at N=2**24 (50M elements) needs 0.8 to 1 GB of heap.
 */
const HEAP_BYTES_PER_ELEMENT = 24;
/** V8 keeps a number array in one block of at most 1 GiB: about 125 million numbers, fewer as arrays grow in steps. */
const MAX_NUMBER_ARRAY = 100_000_000;

/** How a command uses a problem's memory. */
export interface MemoryUse {
  /** The command, for the message: `kt run`. */
  readonly command: string;
  /** Where the kernel runs: on the GPU its tensors are copied to device memory; `none` for kt compile. */
  readonly backend: 'gpu' | 'interpreter' | 'none';
}

/** The limit on host memory (and on device memory, on the GPU) that KT_MAX_MEMORY sets, if it does. */
function maxMemoryFromEnv(): number | undefined {
  const text = process.env['KT_MAX_MEMORY'];
  return text === undefined || text === '' ? undefined : parseBytes(text, 'KT_MAX_MEMORY');
}

const describeProblem = (spec: KernelSpec, sizes: Sizes, dtype: DTypeName): string =>
  `${spec.name} at ${Object.entries(sizes)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')} (${dtype})`;

/**
 * Refuses a problem whose estimated memory exceeds what this machine has: host memory (80% of it, or
 * KT_MAX_MEMORY), the GPU's memory (90% of it, or KT_MAX_MEMORY) and V8's heap (for a whole reference).
 */
export function checkMemory(spec: KernelSpec, sizes: Sizes, dtype: DTypeName, use: MemoryUse): void {
  const limit = maxMemoryFromEnv();
  const footprint = estimateFootprint(spec, sizes, dtype);
  if (!footprint) return;
  const problem = describeProblem(spec, sizes, dtype);
  const smaller = `choose smaller sizes with --size (${spec.name}'s defaults are ${Object.entries(spec.sizes)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')})`;
  // The tensors as made, the kernel's copies of them (on the interpreter) and the outputs as first computed.
  const copies = use.backend === 'none' ? 1 : use.backend === 'gpu' ? 2 : 3;
  const wholeReference = use.backend !== 'none' && !referenceIsSampled(spec, sizes);
  const host = copies * footprint.bytes + (wholeReference ? HEAP_BYTES_PER_ELEMENT * footprint.elements : 0);
  const machine = Math.min(os.totalmem(), process.constrainedMemory?.() || Infinity);
  const hostLimit = limit ?? 0.8 * machine;
  if (host > hostLimit) {
    const allowed = limit === undefined ? `80% of this machine's ${formatBytes(machine)}` : 'KT_MAX_MEMORY';
    throw new UsageError(
      `${use.command} ${problem} would need about ${formatBytes(host)} of memory, more than the ${formatBytes(hostLimit)} kt allows (${allowed})`,
      // Overriding the limit can help only where the estimate is near the machine's memory, not beyond it.
      host <= machine ? `${smaller}, or set KT_MAX_MEMORY=${Math.ceil(host / 1e9)}GB to try anyway` : smaller,
    );
  }
  if (use.backend === 'gpu') {
    const total = gpu().info.totalMemory;
    const deviceLimit = limit ?? 0.9 * total;
    if (footprint.bytes > deviceLimit) {
      throw new UsageError(`${use.command} ${problem} would need about ${formatBytes(footprint.bytes)} of GPU memory, more than the ${formatBytes(deviceLimit)} kt allows (${limit === undefined ? `90% of the GPU's ${formatBytes(total)}` : 'KT_MAX_MEMORY'})`, `${smaller}, or run on the interpreter with --interpret`);
    }
  }
  if (!wholeReference) return;
  if (footprint.largest > MAX_NUMBER_ARRAY) {
    throw new UsageError(
      `${use.command} ${problem} would compute a reference of ${footprint.largest.toLocaleString('en-US')} numbers in one JavaScript array, which holds at most about ${MAX_NUMBER_ARRAY.toLocaleString('en-US')}`,
      `${smaller}${spec.referenceAt ? '' : `, or give the spec a referenceAt so that large problems are checked on a sample`}`,
    );
  }
  const heap = HEAP_BYTES_PER_ELEMENT * footprint.elements;
  const heapStats = v8.getHeapStatistics();
  const heapLeft = heapStats.heap_size_limit - heapStats.used_heap_size;
  if (heap > heapLeft) {
    throw new UsageError(
      `${use.command} ${problem} would need about ${formatBytes(heap)} of JavaScript heap for its reference, more than the ${formatBytes(heapLeft)} Node has left`,
      `${smaller}, or raise Node's limit with NODE_OPTIONS=--max-old-space-size=${Math.ceil(((heap + heapStats.used_heap_size) * 1.1) / 2 ** 20)}`,
    );
  }
}
