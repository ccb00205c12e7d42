// Control-flow forms of Triton code (issue 10) on the GPU against the interpreter: early returns under
// compile-time ifs and in nested branches, conditional expressions whose sides are stores, and hints on loop
// variables, arguments and branch results (which change how loads vectorise, never what they read).
import { describe, expect, test } from 'vitest';
import { empty, tensor, type Kernel } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import { assemble, findPtxas } from '../../src/compiler/gpu/ptxas.ts';
import { argumentFacts } from '../../src/dsl/kernel.ts';
import { classifyAll, earlyInConstexprIf, hintedSums, loopAfterReturn, randoms64, stages, ternaryStores } from '../frontend/control-flow-kernels.ts';
import { gpuMatchesInterpreter, gpuPresent } from './harness.ts';

describe.skipIf(!gpuPresent)('control-flow forms on the GPU against the interpreter', () => {
  test('a return in a run-time if nested in a compile-time if', () => {
    for (const EARLY of [true, false]) gpuMatchesInterpreter(earlyInConstexprIf, [6], [empty([12], 'i32'), 4, { EARLY }]);
  });

  test('returns in every branch of nested ifs', () => {
    const xs = [-50, -11, -10, -3, 0, 1, 5, 6, 10, 11, 100, 101, 500];
    gpuMatchesInterpreter(classifyAll, [xs.length], [tensor(xs, { dtype: 'i32' }), empty([xs.length], 'i32')]);
  });

  test('programs stopping at different depths', () => {
    for (const SKIP_ODD of [false, true]) gpuMatchesInterpreter(stages, [7], [empty([28], 'i32').fill(-7), 4, { SKIP_ODD }]);
  });

  test('a loop after an early return, calling a helper that returns early', () => {
    for (const CHECK of [true, false]) gpuMatchesInterpreter(loopAfterReturn, [3], [empty([3], 'i32'), 6, 3, { CHECK }]);
  });

  test('a conditional expression whose sides are stores', () => {
    gpuMatchesInterpreter(ternaryStores, [6], [tensor([3, 1, 4, 1]), empty([18]), 4, { FIRST: true }]);
  });

  test('hints on a loop variable, an argument and a branch result', () => {
    const BLOCK = 8;
    const x = tensor(Array.from({ length: 6 * BLOCK }, (_, i) => (i * 7) % 11));
    for (const [lo, hi] of [[BLOCK, 4 * BLOCK], [2 * BLOCK, 2 * BLOCK]]) {
      gpuMatchesInterpreter(hintedSums, [1], [x, empty([3 * BLOCK]).fill(-1), tensor([lo, hi], { dtype: 'i32' }), 2 * BLOCK, { BLOCK }]);
    }
  });
});

describe.skipIf(!gpuPresent)('random numbers from 64-bit offsets on the GPU against the interpreter', () => {
  test('randint, randint4x, rand, randn and randomUintToUniformFloat', () => {
    const BLOCK = 64;
    gpuMatchesInterpreter(randoms64, [1], [empty([2 * BLOCK], 'i64'), empty([3 * BLOCK]), 1234567, tensor([3n << 40n], { dtype: 'i64' }), { BLOCK }], { tol: { atol: 1e-5, rtol: 1e-5 } });
  });
});

/** The PTX of `k` for these arguments (sm_90, 4 warps), as a launch on tensors aligned to 16 bytes compiles it. */
function ptxOf(k: Kernel, args: readonly unknown[]): { ptx: string; target: string; kernelName: string } {
  const bound = k.definition.bind(args);
  const module = k.definition.specialize(bound.bindings).ir.module;
  return compileToPtx(module, { numWarps: 4, target: 'sm_90', argFacts: argumentFacts(bound.runtime) });
}

describe('the PTX of these forms', () => {
  const BLOCK = 512;
  const hinted = (): ReturnType<typeof ptxOf> => ptxOf(hintedSums, [empty([6 * BLOCK]), empty([3 * BLOCK]), empty([2], 'i32'), 2 * BLOCK, { BLOCK }]);

  test('hints on a loop variable and a branch result make the loads and the store 128-bit vectors', () => {
    const { ptx } = hinted();
    expect(ptx.match(/ld\.global\S*\.v4\./g)?.length).toBe(2);
    expect(ptx.match(/st\.global\S*\.v4\./g)?.length).toBe(1);
  });

  const ptxas = findPtxas();
  test.skipIf(!ptxas)('assembles with ptxas', () => {
    const all = [
      hinted(),
      ptxOf(earlyInConstexprIf, [empty([12], 'i32'), 4, { EARLY: true }]),
      ptxOf(classifyAll, [empty([4], 'i32'), empty([4], 'i32')]),
      ptxOf(stages, [empty([28], 'i32'), 4, { SKIP_ODD: true }]),
      ptxOf(ternaryStores, [empty([4]), empty([18]), 4, { FIRST: true }]),
      ptxOf(randoms64, [empty([2 * BLOCK], 'i64'), empty([3 * BLOCK]), 1, empty([1], 'i64'), { BLOCK }]),
    ];
    for (const c of all) expect(assemble(c.ptx, c.target, c.kernelName, ptxas).cubin.length).toBeGreaterThan(0);
  });
});
