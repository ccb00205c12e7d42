// Control-flow forms of Triton code (issue 10) on the interpreter, against expectations computed in TypeScript:
// early returns under compile-time ifs and in nested branches, conditional expressions that run only their chosen
// side, and hints on values no plain op computes. Errors for the forms that stay refused point at the source.
import { describe, expect, test } from 'vitest';
import { empty, kernel, tensor, tl, type Ptr, type i32 } from 'kt';
import { AxisAnalysis } from '../../src/compiler/gpu/axis-info.ts';
import type { Operation } from '../../src/compiler/ir/core.ts';
import { parseModule } from '../../src/compiler/ir/parser.ts';
import { shapeOf } from '../../src/compiler/ir/types.ts';
import { locatedErrors } from '../support/located-errors.ts';
import { functionsOf } from '../../src/compiler/passes/pass-manager.ts';
import {
  classify,
  classifyAll,
  earlyInConstexprIf,
  expectEarlyInConstexprIf,
  expectHintedSums,
  expectLoopAfterReturn,
  expectStages,
  expectTernaryStores,
  hintedSums,
  loopAfterReturn,
  stages,
  ternaryStores,
} from './control-flow-kernels.ts';

const nums = (t: { toArray(): ArrayLike<number | bigint> }): number[] => Array.from(t.toArray(), Number);
const expectErrorAt = locatedErrors(import.meta.url);

describe('early returns', () => {
  test('a return in a run-time if nested in a compile-time if', () => {
    for (const early of [true, false]) {
      const out = empty([12], 'i32');
      earlyInConstexprIf([6], out, 4, { EARLY: early });
      expect(nums(out)).toEqual(expectEarlyInConstexprIf(6, 4, early));
    }
  });

  test('returns in every branch of nested ifs, some followed by more code', () => {
    const xs = [-50, -11, -10, -3, 0, 1, 5, 6, 10, 11, 100, 101, 500];
    const out = empty([xs.length], 'i32');
    classifyAll([xs.length], tensor(xs, { dtype: 'i32' }), out);
    expect(nums(out)).toEqual(xs.map(classify));
  });

  test('programs stopping at different depths; variables changed after a return, and shadowed ones', () => {
    for (const skipOdd of [false, true]) {
      const out = tensor(new Array(7 * 4).fill(-7), { dtype: 'i32' });
      stages([7], out, 4, { SKIP_ODD: skipOdd });
      expect(nums(out)).toEqual(expectStages(7, 4, skipOdd));
    }
  });

  test('a loop after an early return, calling a helper that returns early', () => {
    for (const check of [true, false]) {
      const out = empty([3], 'i32');
      loopAfterReturn([3], out, 6, 3, { CHECK: check });
      expect(nums(out)).toEqual(expectLoopAfterReturn(3, 6, 3, check));
    }
  });

  test('a helper that falls off its end on one path', () => {
    const k = kernel(function partial(out: Ptr, n: i32) {
      tl.store(out, halfReturns(n)!);
    });
    expectErrorAt(() => k([1], empty([1], 'i32'), 3), 'halfreturns', 'if (n > 2)', /not every path through this if returns a value/);
  });
});

function halfReturns(n: number): number | undefined {
  if (n > 0) {
    if (n > 2) return 1; // @halfreturns
  } else {
    return 2;
  }
}

describe('conditional expressions on run-time and compile-time conditions', () => {
  test('a compile-time condition compiles one side, a run-time one runs one store', () => {
    const x = [3, 1, 4, 1];
    const out = empty([18]);
    ternaryStores([6], tensor(x), out, x.length, { FIRST: true });
    expect(nums(out)).toEqual(expectTernaryStores(x, 6));
    expect(() => ternaryStores([6], tensor(x), empty([18]), x.length, { FIRST: false })).toThrow(/the side not taken is not compiled/);
  });

  test('sides that compute nothing, or that tl.where converts, are picked by tl.where', () => {
    const k = kernel(function picks(x: Ptr, out: Ptr, n: i32) {
      const pid = tl.programId(0);
      tl.store(out + pid * 2, pid < n ? 1 : 2);
      tl.store(out + pid * 2 + 1, pid < n ? tl.load(x + pid) : 2.5);
    });
    const x = tensor([7, 8], { dtype: 'i32' });
    const out = empty([4]);
    k([2], x, out, 1);
    expect(nums(out)).toEqual([1, 7, 2, 2.5]);
    const spec = k.definition.specialize(k.definition.bind([x, out, 1]).bindings);
    expect(spec.irText()).not.toContain('scf.if');
  });

  test('a store on one side and a value on the other', () => {
    const k = kernel(function mixedSides(out: Ptr, n: i32) {
      const v = n > 0 ? tl.store(out, 1) : 2; // @mixedsides
      tl.store(out + 1, v as number);
    });
    expectErrorAt(() => k([1], empty([2], 'i32'), 1), 'mixedsides', 'tl.store(out, 1)', /gives nothing, and the other a value/);
  });

  test('stores chosen by a tile condition', () => {
    const k = kernel(function tileSides(out: Ptr) {
      const offs = tl.arange(0, 4);
      offs < 2 ? tl.store(out + offs, 1) : tl.store(out + offs, 2); // @tilesides
    });
    expectErrorAt(() => k([1], empty([4], 'i32')), 'tilesides', 'tl.store(out + offs, 1)', /chooses per element between two values/);
  });
});

describe('hints on loop variables, arguments and branch results', () => {
  const BLOCK = 8;
  const x = Array.from({ length: 6 * BLOCK }, (_, i) => (i * 7) % 11);
  const [lo, hi] = [BLOCK, 4 * BLOCK];

  test('leave results as they are', () => {
    const out = tensor(new Array(3 * BLOCK).fill(-1));
    hintedSums([1], tensor(x), out, tensor([lo, hi], { dtype: 'i32' }), 2 * BLOCK, { BLOCK });
    expect(nums(out)).toEqual([...Array(2 * BLOCK).fill(-1), ...expectHintedSums(x, lo, hi, BLOCK)]);
  });

  test('reach the axis analysis, and a loop variable hinted in place keeps its loop counted', () => {
    const spec = hintedSums.definition.specialize(hintedSums.definition.bind([empty([6 * BLOCK]), empty([3 * BLOCK]), empty([2], 'i32'), 2 * BLOCK, { BLOCK }]).bindings);
    expect(spec.irText()).not.toContain('scf.while');
    const fn = functionsOf(parseModule(spec.irText()))[0]!;
    // As the GPU compiles it for tensors aligned to 16 bytes (kt's allocations are): the pointers' divisibility.
    fn.attrs['tt.divisibility'] = [16, 16, 16, 1];
    const axis = new AxisAnalysis(fn);
    const ops: Operation[] = [];
    fn.walk((op) => ops.push(op));
    // Both loads read BLOCK consecutive f32s from an address divisible by 16 bytes (without the hints on the
    // offsets, 4); so does the store.
    const accesses = ops.filter((op) => (op.name === 'tt.load' || op.name === 'tt.store') && shapeOf(op.operands[0]!.type).length);
    expect(accesses.length).toBe(3);
    for (const op of accesses) {
      const info = axis.get(op.operands[0]!);
      expect(info.contiguity[0]).toBe(BLOCK);
      expect(info.divisibility[0]).toBe(16);
    }
  });
});
