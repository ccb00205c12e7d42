// Every library kernel on the GPU, at every dtype, at awkward sizes and its default sizes, with 1, 4 and 8
// warps: against its reference and against the interpreter (not with KT_TEST_GPU_ALONE=1: see harness.ts). The tests are registered by kernels.test.ts and
// kernels-2.test.ts, half of the library each, so that vitest runs the halves side by side.
import { describe, expect, test } from 'vitest';
import { defaultTolerance, type KernelSpec } from 'kt';
import { runSpec, type RunResult } from '../../src/cli/run.ts';
import { libraryNames, loadTarget } from '../../src/cli/target.ts';
import { compare } from '../../src/runtime/compare.ts';
import { gpuAlone, realGpu } from './harness.ts';

/**
 * The spec's config for a warp count, its tile halved (the larger side first) until each thread holds at most
 * 128 accumulator elements: the matmul's 128 x 256 tile, meant for 8 warps, would be 1024 per thread on one warp,
 * which ptxas takes minutes to spill.
 */
function forWarps(config: KernelSpec['config'], numWarps: number): KernelSpec['config'] {
  const c: Record<string, number | string | boolean> = { ...config, numWarps };
  while (typeof c['BLOCK_M'] === 'number' && typeof c['BLOCK_N'] === 'number' && (c['BLOCK_M'] * c['BLOCK_N']) / (32 * numWarps) > 128) {
    if (c['BLOCK_N'] >= c['BLOCK_M']) c['BLOCK_N'] = c['BLOCK_N'] / 2;
    else c['BLOCK_M'] = c['BLOCK_M'] / 2;
  }
  return c;
}

/** Registers the tests of the library's specs whose index (in the library's order) is `half` modulo 2. */
export async function registerLibraryKernelTests(half: 0 | 1): Promise<void> {
  const specs: KernelSpec[] = [];
  for (const name of libraryNames()) specs.push(...(await loadTarget(name)).specs);
  const mine = specs.filter((_, i) => i % 2 === half);
  describe.skipIf(!realGpu)(`library kernels on the GPU (${half === 0 ? 'first' : 'second'} half)`, () => {
    for (const spec of mine) {
      for (const dtype of spec.dtypes) {
        for (const sizes of [...(spec.testSizes ?? []), spec.sizes]) {
          const label = `${spec.name} ${dtype} ${Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(' ')}`;
          let interp: RunResult | undefined;
          for (const numWarps of [1, 4, 8]) {
            test(`${label} numWarps=${numWarps}`, () => {
              const r = runSpec(spec, sizes, dtype, forWarps(spec.config, numWarps), { backend: 'gpu', seed: 7 });
              for (const o of r.outputs) expect(o.comparison.first, `${o.name} against the reference: ${o.comparison.mismatches} mismatches`).toEqual([]);
              if (gpuAlone) return;
              interp ??= runSpec(spec, sizes, dtype, spec.config, { backend: 'interpreter', seed: 7 });
              for (const [name, got] of Object.entries(r.results)) {
                const tol = spec.tolerance?.(got.dtype.name) ?? defaultTolerance(got.dtype.name);
                const c = compare(got, interp.results[name]!.toArray() as ArrayLike<number>, tol);
                expect(c.first, `${name} against the interpreter: ${c.mismatches} mismatches`).toEqual([]);
              }
            });
          }
        }
      }
    }
  });
}
