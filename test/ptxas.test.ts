// Every library kernel, at several constexpr configurations and dtypes, compiles to PTX that NVIDIA's assembler
// accepts: for sm_90 with 1, 4 and 8 warps, and for sm_80 with 4. Needs ptxas: skipped without it, except where KT_REQUIRE_PTXAS=1
// (CI sets it), where a missing ptxas fails the suite instead.
import { describe, expect, test } from 'vitest';
import { Random, type Config, type KernelSpec, type Sizes } from 'kt';
import { libraryNames, loadTarget } from '../src/cli/target.ts';
import { compileToPtx } from '../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../src/compiler/gpu/ptxas.ts';
import { argumentFacts, captureLaunches } from '../src/dsl/kernel.ts';

const ptxas = findPtxas();
const required = process.env['KT_REQUIRE_PTXAS'] === '1';

/** Launch configurations per library kernel: sizes (some constexprs follow from them) and config overrides. */
const variants: Record<string, { sizes: Sizes; config: Config }[]> = {
  add: [
    { sizes: { N: 1000 }, config: { BLOCK: 128 } },
    { sizes: { N: 4096 }, config: { BLOCK: 1024 } },
    { sizes: { N: 5000 }, config: { BLOCK: 4096 } },
  ],
  softmax: [
    { sizes: { M: 3, N: 17 }, config: {} },
    { sizes: { M: 3, N: 1000 }, config: {} },
    { sizes: { M: 3, N: 4096 }, config: {} },
  ],
  matmul: [
    { sizes: { M: 64, N: 64, K: 64 }, config: { BLOCK_M: 64, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8 } },
    { sizes: { M: 33, N: 47, K: 71 }, config: { BLOCK_M: 32, BLOCK_N: 32, BLOCK_K: 16, GROUP_M: 4 } },
    { sizes: { M: 128, N: 64, K: 64 }, config: { BLOCK_M: 128, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8 } },
  ],
  linear: [
    { sizes: { M: 33, N: 47, K: 71 }, config: { BLOCK_M: 64, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8 } },
    { sizes: { M: 128, N: 64, K: 64 }, config: { BLOCK_M: 128, BLOCK_N: 64, BLOCK_K: 32, GROUP_M: 8 } },
  ],
  layernorm: [
    { sizes: { M: 3, N: 300 }, config: { BLOCK: 256 } },
    { sizes: { M: 3, N: 4096 }, config: { BLOCK: 1024 } },
    { sizes: { M: 3, N: 4096 }, config: { BLOCK: 4096 } },
  ],
  dropout: [
    { sizes: { N: 1000 }, config: { BLOCK: 256 } },
    { sizes: { N: 4096 }, config: { BLOCK: 1024 } },
  ],
  cumsum: [
    { sizes: { M: 3, N: 100 }, config: { BLOCK: 128 } },
    { sizes: { M: 3, N: 4096 }, config: { BLOCK: 1024 } },
    { sizes: { M: 3, N: 5000 }, config: { BLOCK: 4096 } },
  ],
};

const specs: KernelSpec[] = [];
for (const name of libraryNames()) specs.push(...(await loadTarget(name)).specs);

test('ptxas is on the PATH where it is required', () => {
  if (required) expect(ptxas, 'KT_REQUIRE_PTXAS=1 but ptxas was not found on the PATH (or in KT_PTXAS)').toBeDefined();
});

test('every library kernel has PTX variants here', () => {
  expect(Object.keys(variants).sort()).toEqual(specs.map((s) => s.name).sort());
});

describe.skipIf(!ptxas)('library kernels assemble with ptxas', () => {
  for (const spec of specs) {
    for (const target of ['sm_90', 'sm_80']) {
      for (const dtype of spec.dtypes) {
        test(`${spec.name} ${dtype} ${target}`, () => {
          let assembled = 0;
          for (const { sizes, config } of variants[spec.name] ?? []) {
            // sm_90 is the target that runs here: every warp count; sm_80 at the default 4 (its ptxas is slow on the
            // longest single-warp kernels, and the PTX differs between targets only in its bf16 instructions).
            for (const numWarps of target === 'sm_90' ? [1, 4, 8] : [4]) {
              const inputs = spec.inputs(sizes, dtype, new Random(0));
              const launches = captureLaunches(() => spec.launch(inputs, sizes, { ...spec.config, ...config, numWarps }));
              for (const l of launches) {
                const module = l.definition.specialize(l.bound.bindings).ir.module;
                // The PTX says which target it needs (sm_90a where the kernel uses wgmma).
                const compiled = compileToPtx(module, { numWarps, target, argFacts: argumentFacts(l.bound.runtime) });
                const r = assemble(compiled.ptx, compiled.target, compiled.kernelName, ptxas);
                expect(r.cubin.length).toBeGreaterThan(0);
                assembled++;
              }
            }
          }
          expect(assembled).toBeGreaterThanOrEqual(2);
        });
      }
    }
  }
});
