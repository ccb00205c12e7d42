// Every library kernel, at every dtype it supports and at sizes that are not multiples of its blocks,
// against its plain TypeScript reference.
import { describe, expect, test } from 'vitest';
import type { KernelSpec } from 'kt';
import { runSpec } from '../src/cli/run.ts';
import { libraryNames, loadTarget } from '../src/cli/target.ts';

const specs: KernelSpec[] = [];
for (const name of libraryNames()) specs.push(...(await loadTarget(name)).specs);

test('the library has the kernels the README promises', () => {
  expect(specs.map((s) => s.name).sort()).toEqual(['add', 'cumsum', 'dropout', 'layernorm', 'linear', 'matmul', 'softmax']);
});

for (const spec of specs) {
  describe(spec.name, () => {
    for (const dtype of spec.dtypes) {
      for (const sizes of spec.testSizes ?? []) {
        test(`${dtype} ${Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(' ')}`, () => {
          const r = runSpec(spec, sizes, dtype, spec.config, { backend: 'interpreter', seed: 1 });
          for (const o of r.outputs) expect(o.comparison.first, `${o.name}: ${o.comparison.mismatches} mismatches`).toEqual([]);
          expect(r.passed).toBe(true);
        });
      }
    }
  });
}

test('a block size other than the default gives the same results', () => {
  const matmul = specs.find((s) => s.name === 'matmul')!;
  for (const config of [{ BLOCK_M: 16, BLOCK_N: 32, BLOCK_K: 16, GROUP_M: 2 }, { BLOCK_M: 32, BLOCK_N: 16, BLOCK_K: 64, GROUP_M: 1 }]) {
    expect(runSpec(matmul, { M: 70, N: 33, K: 90 }, 'f32', config, { backend: 'interpreter' }).passed).toBe(true);
  }
});
