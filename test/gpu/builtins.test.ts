// Tiles as objects, Math.max/min and the library functions on the GPU (test/dsl/builtins-cases.ts): each case must
// agree with the interpreter element by element and with its reference. With KT_TEST_GPU=simulate the SIMT simulator
// runs the compiler's per-thread IR, and ptxas assembles the PTX, for sm_90 and for sm_80 (mma.sync-era GPUs; a Hopper
// runs the sm_80 PTX too, compiled by its driver).
import { describe, expect, test } from 'vitest';
import { empty, type Kernel } from 'kt';
import { compileToPtx } from '../../src/compiler/gpu/compile.ts';
import type { Launch } from '../conformance/suite.ts';
import { catKernel, interleaveKernel } from '../conformance/shapes.ts';
import { builtinCases } from '../dsl/builtins-cases.ts';
import { gpuMatchesInterpreter, gpuPresent, targetRuns } from './harness.ts';

const launchFor =
  (target?: string): Launch =>
  (k, grid, args, options) =>
    gpuMatchesInterpreter(k, grid, args, { tol: options?.tol, skip: options?.skip, target });

describe.skipIf(!gpuPresent)('on the GPU against the interpreter and the references', () => {
  for (const c of builtinCases()) test(c.name, () => c.run(launchFor()));
});

describe.skipIf(!targetRuns('sm_80'))('compiled for sm_80 (on a newer GPU, its PTX compiled by the driver)', () => {
  for (const c of builtinCases()) test(c.name, () => c.run(launchFor('sm_80')));
});

describe('chains of exchanges through shared memory', () => {
  const ptxOf = (k: Kernel, args: readonly unknown[]): { ptx: string; sharedBytes: number } => {
    const def = k.definition;
    return compileToPtx(def.specialize(def.bind(args).bindings).ir.module, { numWarps: 4 });
  };
  const count = (ptx: string, what: RegExp): number => (ptx.match(what) ?? []).length;

  test('tl.cat (join, permute, reshape) takes one round trip: its sources written once, one barrier', () => {
    const { ptx, sharedBytes } = ptxOf(catKernel, [empty([128]), empty([128]), empty([256]), { N: 128 }]);
    expect(count(ptx, /bar\.sync/g)).toBe(1);
    // 128 f32 of each source; each of the 128 threads stores one element of each.
    expect(sharedBytes).toBe(2 * 128 * 4);
    expect(count(ptx, /st\.shared/g)).toBe(2);
  });

  test('tl.interleave (join, reshape) takes one round trip', () => {
    const { ptx } = ptxOf(interleaveKernel, [empty([256], 'i32'), { N: 128 }]);
    expect(count(ptx, /bar\.sync/g)).toBe(1);
  });
});
